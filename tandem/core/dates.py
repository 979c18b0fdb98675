"""Days as moments: the start of a day in the installation's time zone (TIME_ZONE), for the
schedules that run "on" a date (a resume date, a check-in round, the day a match started)."""

from __future__ import annotations

import datetime

from django.utils import timezone


def start_of_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_current_timezone())
