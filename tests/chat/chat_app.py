"""`netorch chat` on the API harness's front door, for the tmux test (argv: HOME)."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(_ROOT), str(_ROOT / "tests" / "api")]

from api_harness import build_door  # noqa: E402
from rich.console import Console  # noqa: E402

from orchestrator.chat import BackgroundLoop, ChatSession, tty_reader  # noqa: E402
from orchestrator.config import Settings  # noqa: E402


def main() -> int:
    """Run an interactive chat until /exit."""
    settings = Settings.model_validate({"home": sys.argv[1]})
    loop = BackgroundLoop()

    async def make() -> object:
        return build_door(settings)

    door, _ = loop.wait(make())  # type: ignore[misc]
    session = ChatSession(door, Console(), tty_reader(settings.home_path / "chat_history"), "dana", loop)
    try:
        return session.run()
    finally:
        loop.close()


if __name__ == "__main__":
    sys.exit(main())
