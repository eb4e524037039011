"""The generic SQL engine: aql's engine-neutral SQL (backticks, ``?``).

Rendering happens in Rust (``aioxide._core.sql_render``); each dialect
engine only names its dialect and how its stored values come back.

>>> from aioxide.sql import Column, Table
>>> t = Table("t", [Column("a", int)])
>>> SqlEngine().prepare(t.select().where(t.a > 1)).sql
'SELECT ALL `a` FROM `t` WHERE (`a` > ?)'
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from ... import _core
from ..._core import SQL_CODES
from ..expr import Raw
from ..mapping import TEXT_STORED, RowPlan, plan_for
from ..query import PreparedQuery, Query
from ..types import Comparison, SqlParams, TableJoin
from .base import Engine, T, q

__all__ = ["SqlEngine", "q"]


class SqlEngine(Engine, name="sql"):
    """Generic SQL for any backend that takes backticks and ``?``."""

    #: Dialect code understood by the renderer.
    DIALECT: ClassVar[int] = SQL_CODES["dialect"]["generic"]
    PLACEHOLDER: ClassVar[str] = "?"
    #: Most values one statement may bind (SQLite's limit); bigger inserts
    #: are sent as several statements.
    MAX_PARAMS: ClassVar[int] = 32766
    #: Column kind → conversion of the value the backend stores.
    CONVERSIONS: ClassVar[dict[int, Any]] = TEXT_STORED

    def _render(self, query: Query[T]) -> PreparedQuery[T]:
        return _core.sql_render(self.DIALECT, query)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass that overrides a statement method goes through aql's
        # dispatch by action name; the others render in one native call.
        cls._native = all(
            getattr(cls, action) is SqlEngine._render
            for action in ("create", "insert", "select", "update", "delete")
        )

    _native: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__()
        if self._native:
            # One native call per query (the instance attribute shadows the method).
            self.prepare = functools.partial(_core.sql_render, self.DIALECT)  # type: ignore[method-assign]

    def prepare(self, query: Query[T]) -> PreparedQuery[T]:
        """The SQL and parameters of ``query`` in this engine's dialect."""
        if self._native:
            return _core.sql_render(self.DIALECT, query)
        return super().prepare(query)

    create = _render
    insert = _render
    select = _render
    update = _render
    delete = _render

    def render_comparison(self, comp: Comparison) -> SqlParams:
        """One comparison as ``(sql, parameters)``."""
        return _core.sql_render_clause(self.DIALECT, comp)

    def render_clause(self, clause: Any) -> SqlParams:
        """A comparison, ``And``/``Or``/``Not`` group or raw fragment as ``(sql, parameters)``."""
        return _core.sql_render_clause(self.DIALECT, clause)

    def render_join(self, join: TableJoin) -> SqlParams:
        """One JOIN clause as ``(sql, parameters)``."""
        return _core.sql_render_join(self.DIALECT, join)

    def prepare_raw(self, statement: Raw) -> tuple[str, list[Any]]:
        return _core.sql_render_raw(self.DIALECT, statement)

    def row_plan(self, query: Query[Any]) -> RowPlan | None:
        return plan_for(query, self.CONVERSIONS)
