"""Resolve imprecise references against the Source of Truth: devices and interfaces, with confidence.

Works over any :class:`~mcp_servers.sot.base.SotBackend` (the lab twin, Nautobot) through its
Protocol, so every backend resolves the same way. Rules, in the order they are tried:

devices   exact name (1.0) · primary IP, also ``host:port`` and URLs (1.0) · case or domain suffix
          (0.98) · separators and zero padding, ``b_acc_3`` = ``b-acc-03`` (0.93) · typos in the
          letters (0.85 one edit, 0.72 two). Numbers and one- or two-letter codes (building, site)
          are identity, never typos: ``b-acc-09`` is not ``b-acc-01`` and ``a-acc-03`` is not
          ``b-acc-03``.
interfaces exact name (1.0) · case and spacing (0.98) · the vendor's abbreviation, ``Gi1/0/12`` =
          ``GigabitEthernet1/0/12`` (0.97) · ifIndex (1.0, when the SoT records it) · the other
          vendor's numbering, ``Gi1/0/12`` on an Arista switch = ``Ethernet12`` (0.8) · same numbers,
          other type (0.8) · the port description: ``printer PRN-B1-0307``, ``desk B1.23`` (0.95
          whole, 0.9 its identifying token, 0.6 when the kind of device differs, 0.7 one typo in that token's letters).

Two candidates within :data:`AMBIGUITY_MARGIN` of each other make the answer ``ambiguous``: the
caller must ask which one is meant rather than pick.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Literal
from urllib.parse import urlsplit

from mcp_servers.errors import InvalidArgument
from mcp_servers.paging import MAX_LIMIT, PageRequest
from mcp_servers.sot.base import SotBackend
from mcp_servers.sot.ifnames import cross_vendor_equal, parse_port
from mcp_servers.sot.models import Device, DeviceQuery, Interface
from mcp_servers.sot.resolution import (
    AMBIGUITY_MARGIN,
    DeviceCandidate,
    DeviceResolution,
    InterfaceCandidate,
    InterfaceResolution,
    ResolutionStatus,
)

__all__ = ["InterfaceBy", "edit_distance", "resolve_device", "resolve_interface"]

InterfaceBy = Literal["any", "name", "if_index", "description"]
MAX_CANDIDATES = 5
MAX_SCAN_DEVICES = 5000
_TOKEN = re.compile(r"[a-z]+|\d+")
_SPLIT = re.compile(r"[\s,;()\[\]{}\"'<>]+")


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


# -- paging over the Protocol ----------------------------------------------------------------


async def _all_devices(backend: SotBackend) -> list[Device]:
    found: list[Device] = []
    offset = 0
    while len(found) < MAX_SCAN_DEVICES:
        page = await backend.list_devices(DeviceQuery(), PageRequest(limit=MAX_LIMIT, offset=offset))
        found.extend(page.items)
        if page.next_offset is None:
            break
        offset = page.next_offset
    return found


async def _all_interfaces(backend: SotBackend, device: str) -> list[Interface]:
    found: list[Interface] = []
    offset = 0
    while True:
        page = await backend.get_interfaces(device, PageRequest(limit=MAX_LIMIT, offset=offset))
        found.extend(page.items)
        if page.next_offset is None:
            return found
        offset = page.next_offset


# -- devices ------------------------------------------------------------------------------------


def _host_of(reference: str) -> tuple[str, str]:
    """The host part of a reference (URL, ``host:port``, ``[v6]:port``) and what was dropped, in words."""
    text = reference.strip()
    if "://" in text:
        parts = urlsplit(text)
        host = parts.hostname or text
        return host, f" (from the URL {text!r})"
    bracket = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d+))?", text)
    if bracket:
        return bracket.group(1), f" (port {bracket.group(2)} ignored)" if bracket.group(2) else ""
    if text.count(":") == 1:
        host, port = text.split(":")
        if port.isdigit():
            return host, f" (port {port} ignored)"
    return text, ""


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _mgmt_address(device: Device) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_interface(device.mgmt_ip).ip
    except ValueError:
        return None


def _tokens(name: str) -> tuple[list[str], tuple[int, ...]]:
    """Letter tokens and number runs of a name (numbers unpadded)."""
    found = _TOKEN.findall(name.lower())
    return [t for t in found if t.isalpha()], tuple(int(t) for t in found if t.isdigit())


def _subsequence(short: list[str], long: list[str]) -> bool:
    it = iter(long)
    return all(any(token == other for other in it) for token in short)


def _letter_edits(ref: list[str], cand: list[str]) -> int | None:
    """Edits needed in the letters (-1: a part is left out), or None when they differ in an identity part."""
    if len(ref) == len(cand):
        total = 0
        for r, c in zip(ref, cand, strict=True):
            d = edit_distance(r, c)
            allowed = 0 if len(c) <= 2 else (1 if len(c) <= 6 else 2)
            if d > allowed:
                return None
            total += d
        return total
    if len(ref) < len(cand) and _subsequence(ref, cand):
        return -1  # a whole part is missing ("acc-03" for "b-acc-03"): every such device is a candidate
    joined_ref, joined_cand = "".join(ref), "".join(cand)
    # A lost or extra separator changes the token count: compare the letters whole, first letter kept.
    if len(joined_cand) >= 4 and joined_ref[:1] == joined_cand[:1]:
        d = edit_distance(joined_ref, joined_cand)
        return d if d <= 1 else None
    return None


def _device_match(host: str, device: Device) -> tuple[float, str, str] | None:
    name = device.name
    if host == name:
        return 1.0, "exact_name", f"'{host}' is {name}"
    short = host.split(".")[0] if "." in host else host
    if host.lower() == name.lower() or short.lower() == name.lower():
        why = "domain suffix" if short != host else "letter case"
        return 0.98, "name_normalised", f"'{host}' is {name} ({why})"
    ref_letters, ref_numbers = _tokens(short)
    cand_letters, cand_numbers = _tokens(name)
    if not ref_letters or ref_numbers != cand_numbers:
        return None
    if "".join(ref_letters) == "".join(cand_letters) and len(ref_letters) in (len(cand_letters), 1):
        return 0.93, "name_normalised", f"'{host}' is {name} (separators or zero padding)"
    edits = _letter_edits(ref_letters, cand_letters)
    if edits is None or edits == 0:
        return None
    if edits < 0:
        return 0.6, "name_partial", f"'{host}' is {name} with part of the name left out"
    confidence = 0.85 if edits == 1 else 0.72
    return confidence, "name_edit_distance", f"'{host}' is {edits} typing error(s) from {name}"


def _status(confidences: list[float]) -> ResolutionStatus:
    if not confidences:
        return "unresolved"
    if len(confidences) > 1 and confidences[0] - confidences[1] < AMBIGUITY_MARGIN:
        return "ambiguous"
    return "resolved"


async def resolve_device(backend: SotBackend, reference: str) -> DeviceResolution:
    """The device a name, typo'd name, address, ``host:port`` or URL most likely names."""
    if not reference.strip():
        raise InvalidArgument("reference must not be empty")
    devices = await _all_devices(backend)
    host, dropped = _host_of(reference)
    tried: list[str] = []
    candidates: list[DeviceCandidate] = []

    def add(device: Device, confidence: float, method: str, detail: str) -> None:
        candidates.append(
            DeviceCandidate(
                device=device.name,
                confidence=confidence,
                method=method,
                detail=detail,
                mgmt_ip=device.mgmt_ip,
                platform=device.platform,
            )
        )

    address = _address(host)
    if address is not None:
        for device in devices:
            if _mgmt_address(device) == address:
                add(device, 1.0, "primary_ip", f"{address} is the primary IP of {device.name}{dropped}")
        tried.append(f"primary IP {address}{dropped}: " + (candidates[0].device if candidates else "no device has it"))
    else:
        tried.append(f"primary IP: '{host}' is not an address")
        for device in devices:
            match = _device_match(host, device)
            if match is not None:
                add(device, *match)
        exact = [c for c in candidates if c.method == "exact_name"]
        tried.append(f"exact name '{host}': " + ("found" if exact else "no such device"))
        if not exact:
            fuzzy = ", ".join(f"{c.device} ({c.confidence:.2f})" for c in candidates[:MAX_CANDIDATES])
            tried.append(
                "case, domain, separators, zero padding and typos in the letters (numbers and short codes must "
                f"match) over {len(devices)} devices: " + (fuzzy or "no candidate")
            )
    candidates.sort(key=lambda c: (-c.confidence, c.device))
    status = _status([c.confidence for c in candidates])
    best = candidates[0] if status == "resolved" else None
    return DeviceResolution(
        reference=reference,
        status=status,
        device=best.device if best else None,
        confidence=best.confidence if best else 0.0,
        method=best.method if best else None,
        candidates=candidates[:MAX_CANDIDATES],
        tried=tried,
    )


# -- interfaces -----------------------------------------------------------------------------------


def _name_matches(reference: str, iface: Interface) -> tuple[float, str, str] | None:
    name = iface.name
    if reference == name:
        return 1.0, "exact_name", f"'{reference}' is {name}"
    if re.sub(r"\s+", "", reference).lower() == name.lower():
        return 0.98, "name_normalised", f"'{reference}' is {name} (case or spacing)"
    ref, cand = parse_port(reference), parse_port(name)
    if ref is None or cand is None:
        return None
    if ref.numbers == cand.numbers:
        if ref.type is not None and ref.type == cand.type:
            return 0.97, "vendor_abbreviation", f"'{reference}' is {name} (abbreviated type name)"
        return 0.8, "other_type", f"'{reference}' has the numbering of {name} but another type name"
    if cross_vendor_equal(ref, cand):
        return 0.8, "cross_vendor", f"'{reference}' in the other vendor's port numbering is {name}"
    return None


def _ident_key(token: str) -> tuple[str, tuple[int, ...]]:
    letters, numbers = _tokens(token)
    return "".join(letters), numbers


def _words(text: str) -> list[str]:
    return [t.strip(".:") for t in _SPLIT.split(text.lower()) if t.strip(".:")]


def _description_match(reference: str, iface: Interface) -> tuple[float, str, str] | None:
    desc = iface.description or ""
    if not desc:
        return None
    quoted = f"'{desc}'"
    if " ".join(_words(reference)) == " ".join(_words(desc)):
        return 0.95, "description", f"the description of {iface.name} is {quoted}"
    ref_words = _words(reference)
    idents = [w for w in ref_words if any(ch.isdigit() for ch in w) and any(ch.isalpha() for ch in w)]
    if not idents:
        return None
    desc_words = _words(desc)
    kinds = [w for w in ref_words if w.isalpha() and len(w) > 2]
    kind_ok = not kinds or any(k in desc_words for k in kinds)
    if all(i in desc_words for i in idents):
        confidence = 0.9 if kind_ok else 0.6  # 'camera B1.22' on the port of 'desk B1.22': a candidate, not an answer
        return confidence, "description", f"the description of {iface.name} ({quoted}) names {', '.join(idents)}"
    keys = [(_ident_key(w), w) for w in desc_words if any(ch.isdigit() for ch in w)]
    pairs: list[tuple[str, str, bool]] = []
    for ident in idents:
        letters, numbers = _ident_key(ident)
        near = next(
            (w for (dl, dn), w in keys if dn == numbers and edit_distance(letters, dl) <= (0 if len(dl) <= 2 else 1)),
            None,
        )
        if near is None:
            return None
        pairs.append((ident, near, (letters, numbers) == _ident_key(near)))
    # Same letters and numbers means only separators or padding differ; a letter off is a typo.
    confidence = 0.85 if all(same for *_, same in pairs) else 0.7
    shown = ", ".join(f"'{ident}' ~ '{near}'" for ident, near, _ in pairs)
    return confidence, "description", f"the description of {iface.name} ({quoted}) is close: {shown}"


def _if_index(reference: str) -> int | None:
    match = re.fullmatch(r"\s*(?:ifindex\s*[=:]?\s*)?(\d+)\s*", reference, re.IGNORECASE)
    return int(match.group(1)) if match else None


def _rank_interfaces(found: Iterable[InterfaceCandidate]) -> list[InterfaceCandidate]:
    best: dict[tuple[str, str], InterfaceCandidate] = {}
    for cand in found:
        key = (cand.device, cand.interface)
        if key not in best or cand.confidence > best[key].confidence:
            best[key] = cand
    return sorted(best.values(), key=lambda c: (-c.confidence, c.device, c.interface))


async def resolve_interface(
    backend: SotBackend, reference: str, *, device: str | None = None, by: InterfaceBy = "any"
) -> InterfaceResolution:
    """The interface a reference most likely names, on ``device`` or (descriptions only) anywhere.

    Raises:
        NotFound: ``device`` is not in the Source of Truth.
        InvalidArgument: an empty reference, or a name or ifIndex without a device.
    """
    if not reference.strip():
        raise InvalidArgument("reference must not be empty")
    if device is None and by in ("name", "if_index"):
        raise InvalidArgument(f"resolving an interface by {by} needs a device (every switch has '{reference}')")
    if device is not None:
        await backend.get_device(device)  # NotFound names the device
        scope = [(device, await _all_interfaces(backend, device))]
    else:
        scope = [(d.name, await _all_interfaces(backend, d.name)) for d in await _all_devices(backend)]
    where = device or f"{len(scope)} devices"
    tried: list[str] = []
    found: list[InterfaceCandidate] = []

    def add(iface: Interface, confidence: float, method: str, detail: str) -> None:
        found.append(
            InterfaceCandidate(
                device=iface.device,
                interface=iface.name,
                confidence=confidence,
                method=method,
                detail=detail,
                description=iface.description,
            )
        )

    def note(what: str, count_from: int) -> None:
        hits = _rank_interfaces(found[count_from:])
        shown = ", ".join(f"{c.device} {c.interface} ({c.confidence:.2f})" for c in hits[:3])
        tried.append(f"{what} on {where}: {shown or 'no match'}")

    index = _if_index(reference)
    if device is not None and by in ("any", "if_index") and index is not None:
        start = len(found)
        ifaces = scope[0][1]
        if all(i.if_index is None for i in ifaces):
            tried.append(f"ifIndex {index}: the source of truth records no ifIndex for {device}")
        else:
            for iface in ifaces:
                if iface.if_index == index:
                    add(iface, 1.0, "if_index", f"ifIndex {index} is {iface.name}")
            note(f"ifIndex {index}", start)
    if device is not None and by in ("any", "name") and index is None:
        start = len(found)
        for iface in scope[0][1]:
            match = _name_matches(reference, iface)
            if match is not None:
                add(iface, *match)
        note("name in either vendor's style", start)
    if by in ("any", "description"):
        start = len(found)
        for _, ifaces in scope:
            for iface in ifaces:
                match = _description_match(reference, iface)
                if match is not None:
                    add(iface, *match)
        note("port description", start)
    ranked = _rank_interfaces(found)
    status = _status([c.confidence for c in ranked])
    best = ranked[0] if status == "resolved" else None
    return InterfaceResolution(
        reference=reference,
        scope=device,
        status=status,
        device=best.device if best else None,
        interface=best.interface if best else None,
        confidence=best.confidence if best else 0.0,
        method=best.method if best else None,
        candidates=ranked[:MAX_CANDIDATES],
        tried=tried,
    )
