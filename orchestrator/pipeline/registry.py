"""The workflow registry: every version from every source, its state, promotion and definition rollback.

Sources are the installed package and any configured git repositories. ``sync`` records each
version it has not seen: the first version of a workflow becomes ``stable``; a new installed
version replaces an installed stable (installing netorch is deploying it); anything else arrives as
a ``candidate`` and runs only when asked for (canary, shadow, ``--version``) until promoted.

A *definition* rollback (``rollback``) makes the version the current stable replaced stable again
for new runs. It changes no device: undoing what a run changed is saga compensation
(the run's ``compensate`` step, ``rollback: failed_only | all``), a different thing.
Every promotion and rollback is audited with who and why.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from dag_fallback.definition import WorkflowDefinition
from orchestrator.pipeline.canary import Canaries
from orchestrator.pipeline.errors import DefinitionUnavailable, PipelineError, PromotionRefused
from orchestrator.pipeline.gitsource import GitSource
from orchestrator.pipeline.resolver import pin_of, unknown
from orchestrator.pipeline.store import RegistryStore, TestRecord, VersionEntry
from orchestrator.runs.errors import InvalidTransition
from orchestrator.runs.model import DefinitionPin, Run
from orchestrator.runs.service import AuditWriter

__all__ = ["SYSTEM", "Registry"]

log = logging.getLogger(__name__)

SYSTEM = "netorch"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _doc(definition: WorkflowDefinition) -> dict[str, Any]:
    return {
        "description": definition.description,
        "params": definition.params.model_json_schema(),
        "tests": [dict(t) for t in definition.tests],
        "files": definition.source_files(),
    }


class Registry:
    """Versions and their states over a RegistryStore; also the runner's DefinitionResolver."""

    def __init__(
        self,
        store: RegistryStore,
        *,
        package: Mapping[str, WorkflowDefinition],
        git: Sequence[GitSource] = (),
        audit: AuditWriter | None = None,
        require_tests: bool = False,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.store = store
        self.package = dict(package)
        self.git = list(git)
        self.audit = audit
        self.require_tests = require_tests
        self.problems: list[str] = []
        self._loaded: dict[tuple[str, str], WorkflowDefinition] = {}
        self.canaries = Canaries(self, clock=clock)

    # -- discovery ------------------------------------------------------------------------------

    def sync(self) -> list[VersionEntry]:
        """Load every source and record the versions not seen before; returns those."""
        self.problems = []
        current = list(self.package.values())
        for source in self.git:
            try:
                current.extend(source.load(base=self.package))
            except PipelineError as exc:
                self.problems.append(str(exc))
                log.warning("workflow source skipped: %s", exc)
        added: list[VersionEntry] = []
        for definition in current:
            self._loaded[(definition.name, definition.version)] = definition
            entry = self._discover(definition)
            if entry is not None:
                added.append(entry)
        return added

    def _discover(self, definition: WorkflowDefinition) -> VersionEntry | None:
        name, version = definition.name, definition.version
        with self.store.transaction() as db:
            if self.store.get(name, version, db) is not None:
                return None
            stable = self._stable(name, db)
            replaced = None
            if stable is None:
                state, why = "stable", f"first version of {name} ({definition.source})"
            elif definition.source == "package" and stable.source == "package":
                state, why, replaced = "stable", "the installed netorch package carries a new version", stable.version
                self.store.set_state(db, name, stable.version, "retired")
            else:
                state, why = "candidate", f"new version from {definition.origin or definition.source}"
            now = _now()
            entry = VersionEntry(
                name=name,
                version=version,
                semver=definition.semver,
                content_hash=definition.content_hash,
                source=definition.source,
                commit=definition.commit,
                origin=definition.origin,
                state=state,
                replaced=replaced,
                discovered_at=now,
                changed_at=now,
                doc=_doc(definition),
            )
            self.store.insert(db, entry)
        self._audit("definition.discovered", SYSTEM, entry, {"state": state, "reason": why})
        if state == "stable":
            self._audit("definition.promoted", SYSTEM, entry, {"previous": replaced, "reason": why, "automatic": True})
        return entry

    # -- reading --------------------------------------------------------------------------------

    def _stable(self, name: str, db: sqlite3.Connection | None = None) -> VersionEntry | None:
        return next((e for e in self.store.versions(name, db) if e.state == "stable"), None)

    def entries(self, name: str | None = None) -> list[VersionEntry]:
        """Known versions (of one workflow), oldest first."""
        return self.store.versions(name)

    def names(self) -> list[str]:
        """Workflows with at least one version."""
        return sorted({e.name for e in self.store.versions()})

    def entry(self, name: str, version: str | None = None) -> VersionEntry:
        """One version: its full version string, its semver or a hash prefix; the stable one without."""
        entries = self.store.versions(name)
        if not entries:
            raise unknown(name, dict.fromkeys(self.names()))
        if version is None:
            stable = next((e for e in entries if e.state == "stable"), None)
            if stable is None:
                raise PipelineError(f"workflow {name} has no stable version (all are candidates or retired)")
            return stable
        hits = [e for e in entries if version in (e.version, e.semver) or e.content_hash.startswith(version)]
        if len(hits) == 1:
            return hits[0]
        shown = ", ".join(f"{e.version} ({e.state})" for e in entries)
        if not hits:
            raise PipelineError(f"workflow {name} has no version '{version}' (known: {shown})")
        raise PipelineError(f"version '{version}' of {name} is ambiguous (known: {shown}); give the full version")

    def loadable(self, entry: VersionEntry) -> bool:
        """Whether this process can run that version."""
        try:
            self.definition(entry.name, entry.version)
        except PipelineError:
            return False
        return True

    def definition(self, name: str, version: str) -> WorkflowDefinition:
        """The code of one version: loaded already, or loaded again from its git commit."""
        found = self._loaded.get((name, version))
        if found is not None:
            return found
        entry = self.store.get(name, version)
        if entry is None:
            raise PipelineError(f"workflow {name} has no version '{version}' in the registry")
        if entry.source == "git" and entry.commit:
            source = next((s for s in self.git if s.origin == entry.origin), None)
            if source is None:
                raise DefinitionUnavailable(
                    f"{name} {version} came from {entry.origin}, which is no longer a configured source"
                )
            for definition in source.load(entry.commit, base=self.package):
                self._loaded.setdefault((definition.name, definition.version), definition)
            found = self._loaded.get((name, version))
            if found is not None:
                return found
            raise DefinitionUnavailable(f"{name} {version}: commit {entry.commit[:12]} no longer yields that version")
        here = self.package.get(name)
        raise DefinitionUnavailable(
            f"{name} {version} was an installed version; this netorch has {here.version if here else 'none'}"
        )

    # -- the runner's DefinitionResolver --------------------------------------------------------

    def versions(self) -> dict[str, str]:
        """Each workflow's stable version."""
        return {e.name: e.version for e in self.store.versions() if e.state == "stable"}

    def for_new_run(
        self, name: str, params: Mapping[str, Any], *, version: str | None = None
    ) -> tuple[WorkflowDefinition, DefinitionPin]:
        """An explicit version, else the canary's candidate when it routes this run there, else stable."""
        if version is not None:
            entry = self.entry(name, version)
            if entry.state == "retired":
                raise PipelineError(f"{name} {entry.version} is retired: promote it again to run it")
            return self._with_pin(entry, "explicit")
        stable = self.entry(name)
        chosen = self.canaries.route(name, params)
        if chosen is not None:
            return self._with_pin(self.entry(name, chosen), "canary")
        return self._with_pin(stable, "stable")

    def _with_pin(self, entry: VersionEntry, route: str) -> tuple[WorkflowDefinition, DefinitionPin]:
        definition = self.definition(entry.name, entry.version)
        return definition, pin_of(definition, route)

    def for_run(self, run: Run) -> WorkflowDefinition:
        """The version the run is pinned to, whatever is stable now."""
        try:
            return self.definition(run.name, run.version)
        except PipelineError as exc:
            raise InvalidTransition(f"run '{run.id}' cannot resume: {exc}") from None

    # -- promotion and definition rollback ------------------------------------------------------

    def promote(self, name: str, version: str, *, actor: str, reason: str) -> VersionEntry:
        """Make a version stable for new runs; the one it replaces is retired (and kept for rollback)."""
        if not reason.strip():
            raise PromotionRefused("a promotion needs a reason (--reason)")
        entry = self.entry(name, version)
        if entry.state == "stable":
            raise PromotionRefused(f"{name} {entry.version} is already stable")
        self.definition(name, entry.version)  # must be runnable here before new runs are sent to it
        tests = self._tests_gate(entry)
        with self.store.transaction() as db:
            stable = self._stable(name, db)
            if stable is not None:
                self.store.set_state(db, name, stable.version, "retired")
            self.store.set_state(db, name, entry.version, "stable", replaced=stable.version if stable else "")
        self.canaries.stop(name, actor=actor, why=f"{entry.version} was promoted", only_version=entry.version)
        promoted = self.entry(name, entry.version)
        self._audit(
            "definition.promoted",
            actor,
            promoted,
            {"previous": stable.version if stable else None, "reason": reason, "tests": tests},
        )
        return promoted

    def _tests_gate(self, entry: VersionEntry) -> dict[str, Any] | None:
        last = self.store.last_test(entry.name, entry.version)
        summary = None if last is None else {"passed": last.passed, "at": last.at, "by": last.actor}
        if not self.require_tests:
            return summary
        hint = f"run `netorch workflows test {entry.name} --version {entry.version}`"
        if not entry.doc.get("tests"):
            raise PromotionRefused(f"{entry.name} {entry.version} ships no tests; pipeline.require_tests is on")
        if last is None:
            raise PromotionRefused(f"{entry.name} {entry.version} has not been tested ({hint}); tests are required")
        if not last.passed:
            raise PromotionRefused(f"{entry.name} {entry.version} failed its tests at {last.at} ({hint} again)")
        return summary

    def rollback(self, name: str, *, actor: str, reason: str) -> VersionEntry:
        """Definition rollback: the version the current stable replaced becomes stable again for new runs.

        Runs already started keep their pinned version; no device changes. A run's own changes are
        undone by saga compensation (the run's ``compensate`` step), never by this.
        """
        if not reason.strip():
            raise PromotionRefused("a definition rollback needs a reason (--reason)")
        current = self.entry(name)
        if not current.replaced:
            raise PromotionRefused(f"{name} {current.version} replaced no earlier version: nothing to roll back to")
        target = self.entry(name, current.replaced)
        try:
            self.definition(name, target.version)
        except PipelineError as exc:
            raise PromotionRefused(f"cannot roll {name} back to {target.version}: {exc}") from None
        with self.store.transaction() as db:
            self.store.set_state(db, name, current.version, "retired")
            self.store.set_state(db, name, target.version, "stable")
        restored = self.entry(name, target.version)
        self._audit(
            "definition.rolled_back",
            actor,
            restored,
            {
                "from": current.version,
                "to": target.version,
                "reason": reason,
                "scope": "new runs; runs already started keep their version; no device is changed",
            },
        )
        return restored

    def record_test(self, entry: VersionEntry, *, actor: str, passed: bool, doc: dict[str, Any]) -> TestRecord:
        """Keep the outcome of `netorch workflows test` for the promotion gate; audited."""
        record = self.store.add_test(entry.name, entry.version, actor, passed, doc)
        self._audit("definition.tested", actor, entry, {"passed": passed, **doc})
        return record

    def _audit(self, kind: str, actor: str, entry: VersionEntry, payload: dict[str, Any]) -> None:
        if self.audit is None:
            return
        body = {"name": entry.name, "version": entry.version, "source": entry.source, **payload}
        if entry.commit:
            body["commit"] = entry.commit
        self.audit.append(kind, actor=actor, payload=body, definition=entry.name, version=entry.version)

    def note(self, kind: str, actor: str, entry: VersionEntry, payload: dict[str, Any]) -> None:
        """Audit a pipeline event about one version (canary, shadow)."""
        self._audit(kind, actor, entry, payload)
