"""Translate netlab's exceptions into the block error vocabulary, at the lab backends' boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mcp_servers.errors import DependencyUnavailable, InvalidArgument, NotFound

__all__ = ["translate_lab_errors"]


@contextmanager
def translate_lab_errors() -> Iterator[None]:
    """Unknown device/interface → NotFound, bad parameter → InvalidArgument, sot_unavailable → unavailable."""
    from netlab import errors as lab

    try:
        yield
    except (lab.UnknownDevice, lab.UnknownInterface) as exc:
        raise NotFound(str(exc)) from exc
    except lab.BadParameter as exc:
        raise InvalidArgument(str(exc)) from exc
    except (lab.IntentUnavailable, lab.LabNotInitialised) as exc:
        raise DependencyUnavailable(str(exc)) from exc
