"""Every person's time zone: an IANA name (Europe/Paris), checked against the zoneinfo database.

Times are stored in UTC; pages and emails show them in the viewer's zone, daylight-saving
changes included (zoneinfo knows them).
"""

from __future__ import annotations

import datetime
import functools
import zoneinfo

from django.core.exceptions import ValidationError

UTC = datetime.UTC


@functools.cache
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_choices() -> list[tuple[str, str]]:
    """The zones a person can choose, area by area; `Etc/…` and legacy aliases left out."""
    names = sorted(
        name
        for name in known_time_zones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))
    )
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


def validate_time_zone(name: str) -> None:
    if name and name not in known_time_zones():
        raise ValidationError(
            "“%(name)s” is not a time zone we know: choose one such as Europe/Paris.",
            code="unknown_time_zone",
            params={"name": name[:60]},
        )


def zone_named(name: str) -> zoneinfo.ZoneInfo:
    """The zone of that name; UTC for a blank or unknown one (a person not asked yet)."""
    if name and name in known_time_zones():
        return zoneinfo.ZoneInfo(name)
    return zoneinfo.ZoneInfo("UTC")
