"""A deadline that every loop over input checks, so an analysis that runs out of time stops.

The web layer opens a budget around each analysis (`with budget.limit(seconds):`); parsing and
the signals call `check()` inside their loops over input. Outside a budget (the CLI, the eval)
`check()` costs one context-variable read and never raises.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("inviteguard_deadline", default=None)


class BudgetExceeded(Exception):
    """The analysis ran past its deadline and stopped."""


def check() -> None:
    deadline = _deadline.get()
    if deadline is not None and time.monotonic() > deadline:
        raise BudgetExceeded


def remaining() -> float:
    """Seconds left before the deadline (infinite outside a budget): what a program run from an
    analysis may be given as its timeout."""
    deadline = _deadline.get()
    return float("inf") if deadline is None else deadline - time.monotonic()


@contextmanager
def limit(seconds: float) -> Iterator[None]:
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)
