"""Ids from the outside (query strings, posted forms), parsed one way everywhere.

`str.isdigit()` is true of "²" and "٣", which `int()` refuses or reads as 3; a twenty-digit number
overflows every integer column. An id here is a run of ASCII digits that fits a bigint and is not
zero; anything else is no id at all, and the caller treats it as a reference to nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
MAX_ID = 2**63 - 1  # the largest value a bigint (PostgreSQL, SQLite) holds


def parse_id(value: object) -> int | None:
    """The id `value` spells in ASCII digits, or None (for "", "²", "٣", "-1", "1e3", 2**63)."""
    if not isinstance(value, str) or not _ASCII_DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values: Iterable[object]) -> list[int]:
    """The ids among `values` (say, a form's getlist), in order, each once; the rest dropped."""
    return list(dict.fromkeys(n for n in map(parse_id, values) if n is not None))


class IdConverter:
    """`<id:name>` in URL patterns: what parse_id accepts; anything else matches no URL (404).

    Django's `<int:>` takes any run of digits, and a twenty-digit one overflows the column
    (SQLite raises OverflowError before the database is asked)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValueError(value)  # the resolver reads this as "no match"
        return number

    def to_url(self, value: int) -> str:
        return str(value)
