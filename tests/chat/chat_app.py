"""`netorch chat` on the API harness's front door, for the tmux test (argv: HOME)."""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script (python tests/chat/chat_app.py HOME), so the repository root is not on sys.path yet.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rich.console import Console

from orchestrator.chat import BackgroundLoop, ChatSession, tty_reader
from orchestrator.config import Settings
from tests.api.api_harness import build_door


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
