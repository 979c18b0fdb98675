"""The health page's charts, drawn on the server as SVG, each with its numbers as a table: the
match rate week by week against the target, sessions held per week, and the average check-in
score per month. Three queries and no script."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Avg, Count
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from tandem.core.dates import start_of_day
from tandem.mentorships.models import RelationshipMember, Session, SessionStatus
from tandem.programs.models import Participant, ParticipantStatus, Program
from tandem.support.models import CheckIn

WEEKS = 12
MONTHS = 6
WIDTH, HEIGHT, PAD = 600, 200, 28


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the table says it
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    bars: list[Bar]
    top: float  # the value at the top of the scale
    target: float | None = None  # a line across, when there is one

    @property
    def width(self) -> int:
        return WIDTH

    @property
    def height(self) -> int:
        return HEIGHT

    @property
    def target_y(self) -> float | None:
        if self.target is None:
            return None
        return _y(self.target, self.top)

    @property
    def baseline(self) -> float:
        return HEIGHT - PAD


def _y(value: float, top: float) -> float:
    return HEIGHT - PAD - (HEIGHT - 2 * PAD) * (value / top if top else 0)


def _chart(
    title: str,
    unit: str,
    points: Sequence[tuple[str, float, str]],
    *,
    top: float | None = None,
    target: float | None = None,
) -> Chart:
    top = top or max([v for _, v, _ in points] + [target or 0, 1])
    step = (WIDTH - 2 * PAD) / max(len(points), 1)
    bars = []
    for i, (label, value, shown) in enumerate(points):
        y = _y(value, top)
        bars.append(
            Bar(label, value, shown, PAD + i * step + step * 0.15, y, step * 0.7, HEIGHT - PAD - y)
        )
    return Chart(title, unit, bars, top, target)


def _week_starts(today: datetime.date) -> list[datetime.date]:
    monday = today - datetime.timedelta(days=today.weekday())
    return [monday - datetime.timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]


def match_rate_chart(program: Program, today: datetime.date) -> Chart:
    """For each of the last weeks: of the participants who had joined by its end, how many
    were in a relationship open then."""
    weeks = _week_starts(today)
    joined = list(
        Participant.objects.filter(program=program, status=ParticipantStatus.JOINED)
        .exclude(joined_at__isnull=True)
        .values_list("pk", "joined_at")
    )
    spans: dict[int, list[tuple[datetime.date, datetime.date | None]]] = {}
    for participant_id, started, concluded in RelationshipMember.objects.filter(
        relationship__program=program
    ).values_list("participant_id", "relationship__started_on", "relationship__concluded_at"):
        spans.setdefault(participant_id, []).append(
            (started, timezone.localdate(concluded) if concluded else None)
        )
    points = []
    for monday in weeks:
        end = monday + datetime.timedelta(days=6)
        present = [pk for pk, at in joined if timezone.localdate(at) <= end]
        matched = sum(
            1
            for pk in present
            if any(s <= end and (c is None or c > end) for s, c in spans.get(pk, []))
        )
        rate = round(100 * matched / len(present)) if present else 0
        shown = f"{rate}% ({matched} of {len(present)})" if present else "nobody had joined"
        points.append((f"{monday:%-d %b}", rate, shown))
    return _chart(
        "Match rate by week, against the target",
        "%",
        points,
        top=100,
        target=program.match_rate_target,
    )


def sessions_chart(program: Program, today: datetime.date) -> Chart:
    weeks = _week_starts(today)
    first = start_of_day(weeks[0])
    held = dict(
        Session.objects.filter(
            relationship__program=program, status=SessionStatus.HELD, starts_at__gte=first
        )
        .annotate(week=TruncWeek("starts_at"))
        .values("week")
        .annotate(n=Count("pk"))
        .values_list("week", "n")
    )
    by_day = {
        timezone.localdate(week) if isinstance(week, datetime.datetime) else week: n
        for week, n in held.items()
    }
    points = [(f"{m:%-d %b}", by_day.get(m, 0), str(by_day.get(m, 0))) for m in weeks]
    return _chart("Sessions held per week", "sessions", points)


def checkin_chart(program: Program, today: datetime.date) -> Chart:
    first_month = (today.replace(day=1) - datetime.timedelta(days=31 * (MONTHS - 1))).replace(day=1)
    start = start_of_day(first_month)
    rows = (
        CheckIn.objects.filter(relationship__program=program, answered_at__gte=start)
        .annotate(month=TruncMonth("answered_at"))
        .values("month")
        .annotate(average=Avg("score"), n=Count("pk"))
        .values_list("month", "average", "n")
    )
    found = {}
    for month, average, n in rows:
        day = timezone.localdate(month) if isinstance(month, datetime.datetime) else month
        found[day.replace(day=1)] = (average, n)
    points = []
    month = first_month
    for _ in range(MONTHS):
        average, n = found.get(month, (None, 0))
        shown = f"{average:.1f} ({n} answer{'s' if n != 1 else ''})" if average else "no answer"
        points.append((f"{month:%b %Y}", round(average or 0, 1), shown))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return _chart("Average check-in score by month (1 to 5)", "score", points, top=5)


def charts_for(program: Program) -> list[Chart]:
    today = timezone.localdate()
    return [
        match_rate_chart(program, today),
        sessions_chart(program, today),
        checkin_chart(program, today),
    ]
