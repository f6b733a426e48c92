"""Writes held to the end of a block: collect rows while it runs, write them once when it ends."""

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar


@contextmanager
def holding(held: ContextVar[list | None], write: Callable[[list], None]):
    """While the block runs, `held` is a list writers append to instead of writing; when the block
    ends without an exception the rows are written with `write(rows)`, in the order they came.
    A nested block joins the outer one."""
    if held.get() is not None:
        yield
        return
    rows: list = []
    token = held.set(rows)
    try:
        yield
    finally:
        held.reset(token)
    if rows:
        write(rows)
