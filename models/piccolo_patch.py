"""One change to Piccolo (1.38) for speed, installed by models.db on import (issue 16).

`ForeignKey.__getattribute__` calls `dir(self)` on every attribute access whose name has no leading underscore
(`Account.partner.company_name`, and many of Piccolo's own accesses while it builds a query), only to decide
whether a lazy reference still has to be resolved; a page spent a fifth of its CPU time in those `dir` calls.
The method below is Piccolo's, with the cheap half of that condition tested first: `dir` runs only while a
lazy reference is unresolved, which it is once, before the first query. Same results, same errors."""

from __future__ import annotations

import contextlib
from typing import Any

from piccolo.columns.base import Column, ColumnMeta
from piccolo.columns.column_types import ForeignKey, ForeignKeyMeta
from piccolo.columns.reference import LazyTableReference

_PICCOLO_GETATTRIBUTE = ForeignKey.__getattribute__


def _getattribute(self: ForeignKey, name: str) -> Any:  # Piccolo's ForeignKey.__getattribute__, reordered
    if not name.startswith("_"):
        try:
            _foreign_key_meta = object.__getattribute__(self, "_foreign_key_meta")
        except AttributeError:
            pass
        else:
            if (
                _foreign_key_meta.proxy_columns == []
                and isinstance(_foreign_key_meta.references, LazyTableReference)
                and name not in dir(self)
            ):
                object.__getattribute__(self, "set_proxy_columns")()

    value = object.__getattribute__(self, name)

    if name.startswith("_"):
        return value

    foreignkey_class: type[ForeignKey] = object.__getattribute__(self, "__class__")

    if isinstance(value, foreignkey_class):  # i.e. a ForeignKey
        new_column = value.copy()
        new_column._meta.call_chain.append(self)
        if len(new_column._meta.call_chain) >= 10:
            raise Exception("Call chain too long!")

        foreign_key_meta: ForeignKeyMeta = object.__getattribute__(new_column, "_foreign_key_meta")

        for proxy_column in foreign_key_meta.proxy_columns:
            with contextlib.suppress(Exception):
                delattr(new_column, proxy_column._meta.name)

        foreign_key_meta.proxy_columns = []

        for column in value._foreign_key_meta.resolved_references._meta.columns:
            _column: Column = column.copy()
            _column._meta.call_chain = list(new_column._meta.call_chain)
            setattr(new_column, _column._meta.name, _column)
            foreign_key_meta.proxy_columns.append(_column)

        return new_column
    elif issubclass(type(value), Column):
        new_column = value.copy()

        column_meta: ColumnMeta = object.__getattribute__(self, "_meta")

        new_column._meta.call_chain = column_meta.call_chain.copy()

        new_column._meta.call_chain.append(self)
        return new_column
    else:
        return value


def install() -> None:
    ForeignKey.__getattribute__ = _getattribute  # type: ignore[method-assign]
