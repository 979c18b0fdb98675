"""Session times: entered on a person's local clock, stored in UTC, shown in each viewer's zone.

zoneinfo handles daylight saving: a wall time that does not exist (the hour skipped when the
clocks go forward) is refused with a message; an ambiguous one (the hour repeated when they go
back) is taken as the first of the two.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError

UTC = datetime.UTC
DURATIONS = (30, 45, 60)
MAX_MINUTES = 8 * 60


@dataclass(frozen=True)
class TimeOption:
    """A proposed time, in UTC."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime


def local_to_utc(
    day: datetime.date, start: datetime.time, zone: zoneinfo.ZoneInfo
) -> datetime.datetime:
    """The UTC moment of a wall-clock time in `zone`; refused if the clocks skip over it."""
    local = datetime.datetime.combine(day, start).replace(tzinfo=zone)
    back = local.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValidationError(
            "%(time)s on %(day)s does not exist in %(zone)s (the clocks go forward then): "
            "choose another time.",
            code="nonexistent_time",
            params={"time": start.strftime("%H:%M"), "day": day.isoformat(), "zone": zone.key},
        )
    return local.astimezone(UTC)


def option_from_local(
    day: datetime.date, start: datetime.time, minutes: int, zone: zoneinfo.ZoneInfo
) -> TimeOption:
    starts_at = local_to_utc(day, start, zone)
    # Durations are real minutes: a session across a clock change still lasts as long.
    return TimeOption(starts_at, starts_at + datetime.timedelta(minutes=minutes))


def format_moment(moment: datetime.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """ "Thu 5 Jun 2025, 14:00 (Europe/London)": for emails and notices, in the reader's zone."""
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({zone.key})"


def day_name(moment: datetime.datetime, zone: zoneinfo.ZoneInfo, now: datetime.datetime) -> str:
    """On the reader's clock: "today", "tomorrow", "Thursday" within the week, or "Thu 12 Jun"."""
    day = moment.astimezone(zone).date()
    days = (day - now.astimezone(zone).date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if 1 < days < 7:
        return f"{day:%A}"
    return f"{day:%a} {day.day} {day:%b}"
