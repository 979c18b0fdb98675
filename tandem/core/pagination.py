"""Keyset ("cursor") pagination for long lists ordered by non-null columns.

A numbered page N costs the database the N-1 pages before it (OFFSET reads and sorts them):
page 201 of a 20,000-person program read 10,050 rows to show 50. A keyset page starts from the
row the reader came from instead ("after this row", "before this row"), so with an index on the
ordering every page costs the same as the first. The cursor in the URL is the row's primary key
(never a name or an email: URLs end up in logs).

The order must be total: end it with a unique column (usually "pk"), and use only non-null
columns (a NULL compares as unknown and would drop rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from django.db.models import Q, QuerySet

from tandem.core.ids import parse_id


class HasPk(Protocol):
    """A model instance, or a row of values_list("pk", ..., named=True)."""

    @property
    def pk(self) -> Any: ...


T = TypeVar("T", bound=HasPk)

AFTER = "after"
BEFORE = "before"
LAST = "last"
PAGE_PARAMS = (AFTER, BEFORE, LAST)  # what a link to another page of the same list replaces


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    object_list: list[T]
    count: int  # every row the list holds, across all pages
    next_cursor: int | None  # the pk to read on from, or None on the last page
    previous_cursor: int | None  # the pk to read back from, or None on the first page

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def _beyond(order: Sequence[str], key: Sequence[Any], *, forward: bool) -> Q:
    """Rows strictly after (or before) `key` in `order`, as a condition indexes can serve.

    (a, b, c) > (x, y, z) is written a >= x AND (a > x OR (a = x AND (b > y OR (b = y AND c > z)))):
    the leading a >= x lets the database walk an index on a from x on.
    """
    strict, loose = ("gt", "gte") if forward else ("lt", "lte")
    condition = Q(**{f"{order[-1]}__{strict}": key[-1]})
    for field, value in zip(reversed(order[:-1]), reversed(key[:-1]), strict=True):
        condition = Q(**{f"{field}__{strict}": value}) | (Q(**{field: value}) & condition)
    return Q(**{f"{order[0]}__{loose}": key[0]}) & condition


def keyset_page(
    queryset: QuerySet[Any, T],
    *,
    order: Sequence[str],
    params: Mapping[str, str],
    per_page: int,
    cursor_scope: QuerySet[Any, Any] | None = None,
) -> KeysetPage[T]:
    """One page of `queryset` in `order`, chosen by `params` (a request's GET).

    `?after=<pk>` reads on from that row, `?before=<pk>` reads back from it, `?last=1` shows the
    last page, and anything else (or a cursor that names no row of `cursor_scope`) the first.
    The cursor row is looked up in `cursor_scope` (default: `queryset`), so a row that has
    since left the filtered list still marks a place in it.
    """
    scope = queryset if cursor_scope is None else cursor_scope
    count = queryset.count()
    descending = [f"-{field}" for field in order]
    after, before = parse_id(params.get(AFTER)), parse_id(params.get(BEFORE))
    cursor = after if after is not None else before
    key = None
    if cursor is not None:
        key = scope.filter(pk=cursor).values_list(*order).first()
    if key is not None and after is not None:
        rows = list(
            queryset.filter(_beyond(order, key, forward=True)).order_by(*order)[: per_page + 1]
        )
        more = len(rows) > per_page
        rows = rows[:per_page]
        if rows:
            return KeysetPage(rows, count, rows[-1].pk if more else None, rows[0].pk)
    elif key is not None or params.get(LAST):
        backwards = queryset.order_by(*descending)
        if key is not None:
            backwards = backwards.filter(_beyond(order, key, forward=False))
        rows = list(backwards[: per_page + 1])
        more = len(rows) > per_page
        rows = rows[:per_page][::-1]
        # Back at the start, a short page would be the first page less a few rows: show the
        # first page itself, as "First" does.
        if rows and (more or key is None):
            return KeysetPage(
                rows, count, rows[-1].pk if key is not None else None, rows[0].pk if more else None
            )
    # The first page (also when a cursor leads past either end).
    rows = list(queryset.order_by(*order)[: per_page + 1])
    more = len(rows) > per_page
    rows = rows[:per_page]
    return KeysetPage(rows, count, rows[-1].pk if more else None, None)


def keyset_page_of_list(
    rows: Sequence[T], *, params: Mapping[str, str], per_page: int
) -> KeysetPage[T]:
    """One page of a list already in its order (say, ranked in Python), chosen as `keyset_page`.

    The same cursors: `?after=<pk>` reads on from that row, `?before=<pk>` back from it,
    `?last=1` the last page, anything else (or a pk no longer in the list) the first page.
    """
    index = {row.pk: i for i, row in enumerate(rows)}
    count = len(rows)
    after, before = parse_id(params.get(AFTER)), parse_id(params.get(BEFORE))
    if after is not None and after in index and index[after] + 1 < count:
        start = index[after] + 1
        shown = list(rows[start : start + per_page])
        more = start + per_page < count
        return KeysetPage(shown, count, shown[-1].pk if more else None, shown[0].pk)
    if (before is not None and before in index) or (after is None and params.get(LAST)):
        end = index[before] if before is not None and before in index else count
        start = max(0, end - per_page)
        # Back at the start, show the first page itself, as keyset_page does.
        if start > 0:
            shown = list(rows[start:end])
            return KeysetPage(shown, count, shown[-1].pk if end < count else None, shown[0].pk)
    shown = list(rows[:per_page])
    return KeysetPage(shown, count, shown[-1].pk if count > per_page else None, None)
