"""The program's relationships and its health lists as CSV, streamed: metadata only (members,
status, dates, sessions held, last activity, milestone), never anything anyone wrote. A cell a
spreadsheet would read as a formula (a name starting with "=", "+", "-" or "@") is quoted with
an apostrophe first."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterable, Iterator, Sequence

from django.utils import timezone

from tandem.health.selectors import Row, health_for, rows_for_export
from tandem.programs.models import Program

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def _members(row: Row) -> str:
    return "; ".join(
        f"{m.participant.user.display_name} ({m.get_role_display().lower()})" for m in row.members
    )


def _day(moment: datetime.datetime | None) -> str:
    return timezone.localdate(moment).isoformat() if moment else ""


RELATIONSHIP_HEADER = [
    "relationship",
    "format",
    "status",
    "members",
    "started on",
    "intended end",
    "sessions held",
    "last activity",
    "milestone",
    "days at milestone",
    "low check-in",
]


def relationship_rows(program: Program) -> Iterator[Sequence[object]]:
    yield RELATIONSHIP_HEADER
    for row in rows_for_export(program):
        relationship = row.relationship
        facts: object = relationship
        yield [
            relationship.pk,
            relationship.get_format_display(),
            relationship.get_status_display(),
            _members(row),
            relationship.started_on.isoformat(),
            relationship.intended_end_on.isoformat(),
            getattr(facts, "sessions_held", 0),
            _day(row.last_activity),
            row.progress.current.label,
            row.stuck_days,
            "yes" if row.low_checkin else "no",
        ]


def health_rows(program: Program) -> Iterator[Sequence[object]]:
    yield ["list", "relationship", "members", "last activity", "milestone", "days at milestone"]
    health = health_for(program)
    for name, rows in (
        ("quiet", health.quiet),
        ("stuck", health.stuck),
        ("low check-in", health.low),
    ):
        for row in rows:
            yield [
                name,
                row.pk,
                _members(row),
                _day(row.last_activity),
                row.progress.current.label,
                row.stuck_days,
            ]
    for request in health.open_requests:
        yield [
            "self-match request open",
            "",
            f"{request.mentee.user.display_name} → {request.mentor.user.display_name}",
            _day(request.created_at),
            "",
            "",
        ]
