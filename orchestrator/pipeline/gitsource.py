"""Workflow definitions from a git repository at a ref, loaded from one exact commit.

The registry pulls from git, never from edits in place: ``load()`` resolves the configured ref to a
commit and loads the definitions there; ``load(commit)`` loads an older commit again, which is how a
run started on an earlier version resumes on exactly that code after a newer one was promoted.
Files are read with ``git show`` (no checkout, the repository is never modified) and exported once
per commit under ``<home>/definitions/<commit>/``, where Python modules are imported as a package
of their own (``from . import helpers`` works between them). A top-level ``*.py`` file exposes
``DEFINITION`` or ``DEFINITIONS``; a top-level ``*.yaml`` file is a YAML definition
(orchestrator.pipeline.yamldef). Loading a repository runs its Python code: configure only a
repository you would deploy from.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import os
import subprocess
import sys
import types
from collections.abc import Mapping
from pathlib import Path

from dag_fallback.definition import WorkflowDefinition
from orchestrator.pipeline.errors import PipelineError
from orchestrator.pipeline.yamldef import load_yaml_definition

__all__ = ["GitSource"]


def _git(repo: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False, timeout=60)
    except FileNotFoundError:
        raise PipelineError("git is not installed: cannot load workflow definitions from a repository") from None
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()
        raise PipelineError(f"git repository {repo}: git {' '.join(args)} failed: {why[-1] if why else 'error'}")
    return done.stdout


@dataclasses.dataclass(frozen=True)
class GitSource:
    """Definitions under ``path`` of the repository ``repo`` at ``ref`` (a branch, tag or commit)."""

    repo: Path
    ref: str = "main"
    path: str = "workflows"
    cache: Path = Path(".netorch/definitions")

    @property
    def origin(self) -> str:
        """``<repo>@<ref>:<path>``, as pins and the registry show it."""
        return f"{self.repo}@{self.ref}:{self.path}"

    def commit(self) -> str:
        """The commit the ref points at now."""
        if not (self.repo / ".git").exists() and not (self.repo / "HEAD").is_file():
            raise PipelineError(f"workflow source {self.repo} is not a git repository")
        return _git(self.repo, "rev-parse", "--verify", "--quiet", f"{self.ref}^{{commit}}").decode().strip()

    def load(
        self, commit: str | None = None, *, base: Mapping[str, WorkflowDefinition] | None = None
    ) -> list[WorkflowDefinition]:
        """Every definition at ``commit`` (default: the ref's commit now); ``base`` are what YAML may extend."""
        commit = commit or self.commit()
        root = self._export(commit)
        folder = root / self.path
        found: list[WorkflowDefinition] = []
        python = sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))
        if python:
            package = self._package(commit, folder)
            for file in python:
                found.extend(self._python(package, folder, file, commit))
        known = {**dict(base or {}), **{d.name: d for d in found}}
        for file in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            rel = f"{self.path}/{file.name}"
            found.append(
                dataclasses.replace(
                    load_yaml_definition(file.read_text(encoding="utf-8"), rel, known),
                    source="git",
                    commit=commit,
                    origin=self.origin,
                )
            )
        names = [d.name for d in found]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise PipelineError(f"{self.origin} at {commit[:12]} defines workflow '{dupes[0]}' more than once")
        return found

    # -- helpers --------------------------------------------------------------------------------

    def _export(self, commit: str) -> Path:
        """The files under ``path`` at ``commit``, written once under the cache (read-only afterwards)."""
        root = self.cache / commit
        if (root / ".complete").is_file():
            return root
        listing = _git(self.repo, "ls-tree", "-r", "-z", "--name-only", commit, "--", self.path)
        files = [f for f in listing.decode().split("\0") if f]
        if not files:
            raise PipelineError(f"{self.origin}: no files under '{self.path}' at commit {commit[:12]}")
        staging = self.cache / f".{commit}.{os.getpid()}"
        for name in files:
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_git(self.repo, "show", f"{commit}:{name}"))
        (staging / ".complete").write_text(commit, encoding="utf-8")
        try:
            staging.rename(root)
        except OSError:  # another process exported the same commit first: same content
            if not (root / ".complete").is_file():
                raise
        return root

    def _package(self, commit: str, folder: Path) -> str:
        """A package of its own for this commit's modules, so two commits never share a module."""
        tag = hashlib.sha256(f"{self.repo.resolve()}:{self.path}".encode()).hexdigest()[:8]
        name = f"_netorch_wf_{commit[:12]}_{tag}"
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = [str(folder)]
            sys.modules[name] = package
        return name

    def _python(self, package: str, folder: Path, file: Path, commit: str) -> list[WorkflowDefinition]:
        module_name = f"{package}.{file.stem}"
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise PipelineError(
                f"{self.origin}: {self.path}/{file.name} at {commit[:12]} does not import: {type(exc).__name__}: {exc}"
            ) from None
        defs = getattr(module, "DEFINITIONS", None) or [getattr(module, "DEFINITION", None)]
        out: list[WorkflowDefinition] = []
        for definition in defs:
            if not isinstance(definition, WorkflowDefinition):
                raise PipelineError(
                    f"{self.origin}: {self.path}/{file.name} defines no DEFINITION or DEFINITIONS (WorkflowDefinition)"
                )
            out.append(self._pinned(definition, package, folder, module_name, commit))
        return out

    def _pinned(
        self, definition: WorkflowDefinition, package: str, folder: Path, module_name: str, commit: str
    ) -> WorkflowDefinition:
        """The definition with its code named by repository path, so equal code at two commits hashes equal.

        Its code is every Python file of the folder (a module may import any sibling) plus the
        installed modules it lists (the dag_fallback patterns it builds on).
        """
        files = {
            f"{self.path}/{p.relative_to(folder).as_posix()}": p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*.py"))
        }
        installed = tuple(m for m in definition.modules if m != package and not m.startswith(package + "."))
        if installed:
            files.update(dataclasses.replace(definition, modules=installed, files=None).source_files())
        return dataclasses.replace(
            definition,
            modules=tuple(sorted({*definition.modules, module_name})),
            files=tuple(sorted(files.items())),
            source="git",
            commit=commit,
            origin=self.origin,
        )
