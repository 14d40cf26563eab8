"""``netorch chat``: an operator's multi-turn conversation with the agent, in a terminal or from a script."""

from orchestrator.chat.commands import Command, parse_line
from orchestrator.chat.repl import BackgroundLoop, ChatSession, script_reader, tty_reader

__all__ = ["BackgroundLoop", "ChatSession", "Command", "parse_line", "script_reader", "tty_reader"]
