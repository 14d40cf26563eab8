"""Definitions from a real git repository at a ref; runs pinned to them resume on the same code."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_kit import approve, commit, git, make_repo, marker, runtime, settings

from orchestrator.pipeline import GitSource, PipelineError
from orchestrator.runs import RunStatus, Trigger

YAML_V = """name: vlan_deploy
semver: 1.1.0
description: vlan_deploy with a canary wave of one switch by default
extends: vlan_deploy
defaults: {canary: 1, wave_size: 2}
"""


def _marks(rt, run_id: str) -> str:
    (step,) = [s for s in rt.runs.steps(run_id) if s.step == "marker"]
    return step.summary["code"]


def test_a_ref_is_loaded_from_its_own_commit_and_unrelated_commits_keep_the_version(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "defs")
    first = commit(repo, {"workflows/marker.py": marker("v1", "1.0.0")}, "marker v1")
    git(repo, "tag", "release-1")
    commit(repo, {"workflows/marker.py": marker("v2", "1.1.0")}, "marker v2")
    source = GitSource(repo, ref="release-1", path="workflows", cache=tmp_path / "cache")
    (definition,) = source.load()
    assert (definition.name, definition.semver, definition.commit, definition.source) == (
        "marker",
        "1.0.0",
        first,
        "git",
    )
    assert definition.origin == f"{repo}@release-1:workflows"
    assert 'MARK = "v1"' in definition.source_files()["workflows/marker.py"]
    assert git(repo, "status", "--porcelain") == ""  # read with git show: the repository is untouched
    # A commit that changes nothing under the path yields the same version at another commit.
    later = commit(repo, {"README.md": "docs only\n", "workflows/marker.py": marker("v1", "1.0.0")}, "back to v1")
    again = GitSource(repo, ref="main", path="workflows", cache=tmp_path / "cache")
    (same,) = again.load()
    assert same.commit == later and same.version == definition.version


def test_yaml_definition_composes_an_installed_workflow(tmp_path: Path) -> None:
    from dag_fallback.workflows import WORKFLOWS

    repo = make_repo(tmp_path / "defs")
    commit(repo, {"workflows/vlan.yaml": YAML_V}, "vlan_deploy 1.1.0")
    (definition,) = GitSource(repo, cache=tmp_path / "cache").load(base=WORKFLOWS)
    assert definition.name == "vlan_deploy" and definition.semver == "1.1.0"
    assert definition.validate({"service": "s"})["canary"] == 1
    assert definition.version != WORKFLOWS["vlan_deploy"].version
    assert definition.build is WORKFLOWS["vlan_deploy"].build  # the same graph, other defaults
    assert "workflows/vlan.yaml" in definition.source_files()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (YAML_V.replace("canary: 1", "canery: 1"), "unknown parameter 'canery' in defaults"),
        (YAML_V.replace("canary: 1", "canary: many"), "bad default canary='many'"),
        (YAML_V.replace("extends: vlan_deploy", "extends: nothing"), "extends unknown workflow 'nothing'"),
    ],
)
def test_a_bad_yaml_definition_is_named(tmp_path: Path, text: str, message: str) -> None:
    from dag_fallback.workflows import WORKFLOWS

    repo = make_repo(tmp_path / "defs")
    commit(repo, {"workflows/vlan.yaml": text}, "bad")
    with pytest.raises(PipelineError, match=r"workflows/vlan\.yaml") as info:
        GitSource(repo, cache=tmp_path / "cache").load(base=WORKFLOWS)
    assert message in str(info.value)


def test_a_missing_ref_is_one_clear_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "defs")
    commit(repo, {"workflows/marker.py": marker("v1", "1.0.0")}, "v1")
    with pytest.raises(PipelineError, match="git rev-parse"):
        GitSource(repo, ref="nope", cache=tmp_path / "cache").commit()


async def test_a_run_resumes_on_its_pinned_version_after_a_newer_one_is_promoted(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "defs")
    v1 = commit(repo, {"workflows/marker.py": marker("v1", "1.0.0")}, "marker v1")
    cfg = settings(tmp_path, sources=[{"repo": str(repo), "ref": "main"}])
    async with runtime(cfg) as rt:
        assert rt.registry is not None and rt.registry.entry("marker").state == "stable"
        old = (await rt.runner.start("marker", {}, trigger=Trigger(source="test", actor="pytest"))).run
        assert old.status is RunStatus.WAITING
        assert old.pin is not None and (old.pin.commit, old.pin.source, old.pin.route) == (v1, "git", "stable")
        (created,) = rt.audit.records(run_id=old.id, kind="run.created")
        assert created.payload["definition"]["commit"] == v1 and created.version == old.version
    # The repository moves on; a new process discovers v2 as a candidate and it is promoted.
    v2 = commit(repo, {"workflows/marker.py": marker("v2", "1.1.0")}, "marker v2")
    async with runtime(cfg, service=False) as rt:
        assert rt.registry is not None
        candidate = rt.registry.entry("marker", "1.1.0")
        assert (candidate.state, candidate.commit) == ("candidate", v2)
        rt.registry.promote("marker", "1.1.0", actor="alice", reason="CHG0100 reviewed")
        approve(rt, rt.runs.get(old.id))
        resumed = await rt.runner.resume(old.id)
        assert resumed.status is RunStatus.SUCCEEDED and resumed.version == old.version
        assert _marks(rt, old.id) == "v1"  # the code of commit v1 ran, not the promoted v2
        lifecycle = [r for r in rt.audit.records(run_id=old.id) if r.kind.startswith(("run.", "step."))]
        assert {r.version for r in lifecycle} == {old.version}
        new = (await rt.runner.start("marker", {}, trigger=Trigger(source="test", actor="pytest"))).run
        assert new.pin is not None and new.pin.commit == v2 and new.version == candidate.version
        approve(rt, new)
        assert (await rt.runner.resume(new.id)).status is RunStatus.SUCCEEDED
        assert _marks(rt, new.id) == "v2"
