"""Counting the SQL statements a piece of work sends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from lti_pl.extensions import db


@contextmanager
def count_queries(engine: Any = None) -> Iterator[list[str]]:
    """The statements sent to `engine` (the app's `db.engine` by default) while inside."""
    statements: list[str] = []

    def before(*args: Any) -> None:
        statements.append(args[2])  # (conn, cursor, statement, parameters, context, many)

    engine = db.engine if engine is None else engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
