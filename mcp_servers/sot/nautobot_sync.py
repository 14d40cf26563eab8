"""Idempotent bulk writes to Nautobot: create what is missing, patch what differs, count what already matches.

The seed describes every object as the body it would POST; :func:`sync` compares that body with
what Nautobot holds (its read form: nested references, ``{"value", "label"}`` choices, M2M lists)
and sends only the differences, in bulk requests of at most ``BATCH`` objects.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mcp_servers.sot.nautobot_client import NautobotClient

__all__ = ["BATCH", "LOCATIONS", "KindReport", "SeedReport", "normalise", "sync"]

K = TypeVar("K", bound=Hashable)

BATCH = 200
LOCATIONS = {"location": "locations"}
"""For VLANs and prefixes: the write-only single ``location`` is read back as the M2M ``locations``."""


@dataclass
class KindReport:
    """What one kind of object needed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class SeedReport:
    """Per kind of object: created, updated, unchanged; ``changed`` is False on a second identical run."""

    url: str
    kinds: dict[str, KindReport] = field(default_factory=dict)

    def kind(self, name: str) -> KindReport:
        """The counters of one kind (created on first use, in the order kinds are synced)."""
        return self.kinds.setdefault(name, KindReport())

    @property
    def changed(self) -> bool:
        """Whether anything was created or updated."""
        return any(k.created or k.updated for k in self.kinds.values())

    def summary(self) -> str:
        """One line for the CLI."""
        total = sum(k.created + k.updated + k.unchanged for k in self.kinds.values())
        if not self.changed:
            return f"Nautobot at {self.url} already matches the lab's intent: nothing changed ({total} objects checked)"
        parts = [f"{name} +{k.created} ~{k.updated}" for name, k in self.kinds.items() if k.created or k.updated]
        created = sum(k.created for k in self.kinds.values())
        updated = sum(k.updated for k in self.kinds.values())
        return f"Nautobot at {self.url}: created {created}, updated {updated} objects ({'; '.join(parts)})"

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``--json``."""
        return {
            "url": self.url,
            "changed": self.changed,
            "kinds": {
                n: {"created": k.created, "updated": k.updated, "unchanged": k.unchanged} for n, k in self.kinds.items()
            },
        }


def normalise(value: Any) -> Any:
    """A read-form value in write form: a nested object → its id, a choice → its value, lists sorted."""
    if isinstance(value, Mapping):
        if "id" in value:
            return str(value["id"])
        if "value" in value and "label" in value:
            return value["value"]
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [normalise(v) for v in value]
        return sorted(items, key=repr) if all(isinstance(i, str | int) for i in items) else items
    return value


def _differs(
    desired: Mapping[str, Any], existing: Mapping[str, Any], read_as: Mapping[str, str], create_only: frozenset[str]
) -> dict[str, Any]:
    """The fields of ``desired`` that Nautobot holds differently (custom fields compared as a subset)."""
    patch: dict[str, Any] = {}
    for key, want in desired.items():
        if key in create_only:
            continue
        have = existing.get(read_as.get(key, key))
        if key in read_as:
            have_ids = normalise(have) or []
            if (want is None and have_ids) or (want is not None and have_ids != [want]):
                patch[key] = want
            continue
        if key == "custom_fields":
            have_cf = have if isinstance(have, Mapping) else {}
            if any(have_cf.get(k) != v for k, v in want.items()):
                patch[key] = want
            continue
        if key == "content_types":
            if not set(want) <= set(have or []):
                patch[key] = sorted(set(want) | set(have or []))
            continue
        norm_want = normalise(want)
        norm_have = normalise(have)
        if norm_want in ("", None) and norm_have in ("", None):
            continue
        if norm_want != norm_have:
            patch[key] = want
    return patch


async def sync(
    client: NautobotClient,
    report: SeedReport,
    kind: str,
    endpoint: Any,
    desired: Mapping[K, dict[str, Any]],
    existing: Mapping[K, Mapping[str, Any]],
    *,
    read_as: Mapping[str, str] | None = None,
    create_only: frozenset[str] = frozenset(),
) -> dict[K, str]:
    """Make Nautobot hold every desired object (key → POST body); returns key → id of each.

    ``existing`` maps the same keys to what Nautobot holds now (read with ``depth=0``); fields in
    ``create_only`` are sent on creation only (write-only fields, or ones the key already fixes).
    """
    counts = report.kind(kind)
    ids: dict[K, str] = {}
    to_create: list[tuple[K, dict[str, Any]]] = []
    to_patch: list[dict[str, Any]] = []
    for key, body in desired.items():
        have = existing.get(key)
        if have is None:
            to_create.append((key, body))
            continue
        ids[key] = str(have["id"])
        patch = _differs(body, have, read_as or {}, create_only)
        if patch:
            to_patch.append({"id": str(have["id"]), **patch})
        else:
            counts.unchanged += 1
    for start in range(0, len(to_create), BATCH):
        batch = to_create[start : start + BATCH]
        bodies = [b for _, b in batch]
        created = await client.call(f"create {kind}", _bulk(endpoint.create, bodies), retry=False)
        for (key, _), record in zip(batch, created, strict=True):
            ids[key] = str(record.id)
        counts.created += len(batch)
    for start in range(0, len(to_patch), BATCH):
        batch_patch = to_patch[start : start + BATCH]
        await client.call(f"update {kind}", _bulk(endpoint.update, batch_patch), retry=False)
        counts.updated += len(batch_patch)
    return ids


def _bulk(method: Callable[[list[dict[str, Any]]], Any], bodies: list[dict[str, Any]]) -> Callable[[], list[Any]]:
    def call() -> list[Any]:
        result = method(bodies)
        return list(result) if isinstance(result, list) else [result]

    return call
