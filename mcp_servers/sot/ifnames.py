"""Interface naming conventions of the vendors a campus runs, for matching imprecise port names.

People and exporters write one port several ways: ``Gi1/0/12``, ``GigabitEthernet1/0/12``,
``gi 1/0/12``; on an Arista switch the same desk port is ``Ethernet12`` (``Et12``), and someone used
to Cisco will still call it ``Gi1/0/12``. A name is parsed into its canonical type and its number
path, so two spellings compare as (type, numbers) instead of as strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["PortName", "cross_vendor_equal", "parse_port"]

# Canonical type names with the abbreviations IOS-XE, NX-OS, EOS and Junos operators use.
_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("HundredGigE", ("hundredgigabitethernet", "hundredgige", "hu")),
    ("FortyGigabitEthernet", ("fortygigabitethernet", "fortygige", "fo")),
    ("TwentyFiveGigE", ("twentyfivegigabitethernet", "twentyfivegige", "twe")),
    ("TenGigabitEthernet", ("tengigabitethernet", "tengige", "te", "xe")),
    ("GigabitEthernet", ("gigabitethernet", "gige", "gi", "ge")),
    ("FastEthernet", ("fastethernet", "fa")),
    ("Ethernet", ("ethernet", "eth", "et", "e")),
    ("Port-channel", ("port-channel", "portchannel", "po")),
    ("Management", ("management", "mgmt", "ma")),
    ("Vlan", ("vlan", "vl")),
    ("Loopback", ("loopback", "lo")),
)
_ALIASES = {alias: canonical for canonical, aliases in _TYPES for alias in aliases}
_NAME = re.compile(r"^\s*([A-Za-z][A-Za-z\-]*?)[\s\-]*(\d+(?:\s*[/.:]\s*\d+)*)\s*$")


@dataclass(frozen=True)
class PortName:
    """A parsed interface name: canonical type (None if unknown) and its number path."""

    type: str | None
    numbers: tuple[int, ...]
    raw_type: str = field(compare=False)

    def label(self) -> str:
        """The canonical spelling, e.g. ``GigabitEthernet1/0/12``."""
        return f"{self.type or self.raw_type}{'/'.join(str(n) for n in self.numbers)}"


def _canonical_type(word: str) -> str | None:
    text = word.lower().rstrip("-")
    if text in _ALIASES:
        return _ALIASES[text]
    # An unambiguous prefix of a full name ("Gig", "Ten", "Forty") is an abbreviation too.
    if len(text) >= 3:
        found = {canonical for canonical, aliases in _TYPES if aliases[0].startswith(text)}
        if len(found) == 1:
            return found.pop()
    return None


def parse_port(name: str) -> PortName | None:
    """``Gi1/0/12`` → PortName('GigabitEthernet', (1, 0, 12)); None when it is not a port name."""
    match = _NAME.match(name)
    if match is None:
        return None
    word, digits = match.groups()
    numbers = tuple(int(n) for n in re.split(r"\s*[/.:]\s*", digits))
    return PortName(_canonical_type(word), numbers, word)


def cross_vendor_equal(reference: PortName, candidate: PortName) -> bool:
    """Whether a name in one vendor's numbering means this port in the other's.

    Cisco stacks number a front-panel port ``member/module/port`` (``1/0/12``); a fixed Arista switch
    numbers it ``port`` (``Ethernet12``). Only the first member's first module maps, so an uplink
    module (``1/1/1``) never lands on a desk port (``Ethernet1``).
    """
    ref, cand = reference.numbers, candidate.numbers
    if len(ref) == 3 and len(cand) == 1:
        return ref[:2] == (1, 0) and ref[2] == cand[0]
    if len(ref) == 1 and len(cand) == 3:
        return cand[:2] == (1, 0) and cand[2] == ref[0]
    return False
