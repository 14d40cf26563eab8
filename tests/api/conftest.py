"""Fixtures of the API tests live in api_harness (importable by name from the tests).

pytest puts ``tests/`` first on sys.path, where ``tests/audit`` (a folder without ``__init__``)
would shadow the ``audit`` package that the editable install provides through a meta-path finder;
putting the repository root in front makes the real packages win.
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if sys.path[:1] != [_ROOT]:
    sys.path.insert(0, _ROOT)

from api_harness import server  # noqa: E402

__all__ = ["server"]
