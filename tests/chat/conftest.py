"""Chat tests reuse the API tests' harness (real stores, a stand-in run body); see tests/api/api_harness.py."""

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _path in (str(_ROOT), str(_ROOT / "tests" / "api")):
    if _path not in sys.path[:2]:
        sys.path.insert(0, _path)
