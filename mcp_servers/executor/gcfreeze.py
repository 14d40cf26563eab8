"""Keep the lab's long-lived documents out of garbage collections while jobs run.

A 5,000-device lab holds ~150,000 containers that live as long as the process; CPython's full
collection walks all of them (~0.1 s) and, during a fan-out that promotes thousands of short-lived
objects a second, runs about once per job — a pause that every device in flight waits for.
``gc.freeze()`` moves every object that exists now to a permanent generation that collections skip
(a constant-time list splice), and ``gc.unfreeze()`` gives them back when the last job ends, so
nothing is leaked: garbage among them is merely collected after the job rather than during it.
Objects created during the job are collected as usual.
"""

from __future__ import annotations

import gc
import threading

__all__ = ["gc_hold", "gc_release"]

_lock = threading.Lock()
_holders = 0


def gc_hold() -> bool:
    """Freeze the heap for a job (the first holder freezes); returns True, for gc_release()."""
    global _holders
    with _lock:
        if _holders == 0:
            gc.freeze()
        _holders += 1
    return True


def gc_release() -> None:
    """End one hold; the last one unfreezes the heap."""
    global _holders
    with _lock:
        _holders -= 1
        if _holders == 0:
            gc.unfreeze()
