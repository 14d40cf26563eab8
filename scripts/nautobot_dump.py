#!/usr/bin/env python3
"""Regenerate tests/fixtures/nautobot/nautobot-<version>.sql.gz: migrate once (~6 min), dump.

Run it when the Nautobot pin (NAUTOBOT_VERSION in tests/nautobot/nbserver.py) changes; it needs
PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) and Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "nautobot"))

import nbserver  # found through the path set just above

if __name__ == "__main__":
    sys.exit(nbserver.main([sys.argv[0], "dump"]))
