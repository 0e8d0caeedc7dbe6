"""Building a large result without the cyclic garbage collector's passes in between.

The summary of a long session and each export of it allocate hundreds of thousands of
containers that live until the result is made, and none that refer to each other in a
cycle. CPython's collector counts those allocations and, every so often, walks every
object of the process (the session's state, the transcript, the summary itself): with a
three-hour session, five to eight full passes of 30-90 ms each over ``bench/exports.py``'s
run, and nothing to free, since the garbage there is freed by reference counting as it
goes. ``paused_collection`` switches the collector off while such a function runs and back
on after it (never on if something else had switched it off); what it would have found
(nothing, as a rule) it finds at its next pass.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def paused_collection(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` run with the cyclic garbage collector off (see the module)."""

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return paused
