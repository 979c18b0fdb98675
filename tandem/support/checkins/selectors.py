"""What coordinators read of check-ins: the newest answers with their member and score, low
scores flagged; how many were asked and answered, and how the scores spread."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, Q

from tandem.programs.models import Program
from tandem.support.models import LOW_SCORES, CheckIn

LATEST = 100


@dataclass(frozen=True)
class CheckInReport:
    latest: list[CheckIn]  # the newest LATEST answers
    asked: int
    answered: int
    low: int
    by_score: list[tuple[int, int]]  # (score, how many), 5 down to 1
    low_only: bool

    @property
    def response_rate(self) -> int:
        return round(100 * self.answered / self.asked) if self.asked else 0


def checkins_for_coordinator(program: Program, params: Mapping[str, str]) -> CheckInReport:
    checkins = CheckIn.objects.filter(relationship__program=program)
    totals = checkins.aggregate(
        asked=Count("pk"),
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
        low=Count("pk", filter=Q(score__in=LOW_SCORES)),
        **{f"s{n}": Count("pk", filter=Q(score=n)) for n in range(1, 6)},
    )
    low_only = params.get("low") == "1"
    shown = checkins.filter(answered_at__isnull=False)
    if low_only:
        shown = shown.filter(score__in=LOW_SCORES)
    latest = list(shown.select_related("user").order_by("-answered_at", "-pk")[:LATEST])
    return CheckInReport(
        latest=latest,
        asked=totals["asked"],
        answered=totals["answered"],
        low=totals["low"],
        by_score=[(n, totals[f"s{n}"]) for n in range(5, 0, -1)],
        low_only=low_only,
    )
