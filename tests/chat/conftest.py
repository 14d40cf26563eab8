"""Chat tests reuse the API tests' harness (real stores, a stand-in run body): tests/api/api_harness.py."""

import sys
from pathlib import Path

_API_TESTS = str(Path(__file__).resolve().parents[1] / "api")
if _API_TESTS not in sys.path:
    sys.path.insert(0, _API_TESTS)
