"""Sessions for the notes and reflection tests: one Mia and Marco held, one to come."""

from __future__ import annotations

import datetime

from django.utils import timezone

from tandem.mentorships.models import Relationship, Session, SessionStatus
from tandem.mentorships.tests.pairs import DAY, HOUR


def held_session(relationship: Relationship, *, ended: datetime.timedelta = HOUR) -> Session:
    """A session of `relationship` held and ended `ended` ago."""
    end = timezone.now().replace(microsecond=0) - ended
    return Session.objects.create(
        relationship=relationship,
        status=SessionStatus.HELD,
        starts_at=end - HOUR,
        ends_at=end,
    )


def scheduled_session(relationship: Relationship) -> Session:
    start = timezone.now().replace(microsecond=0) + 3 * DAY
    return Session.objects.create(
        relationship=relationship,
        status=SessionStatus.SCHEDULED,
        starts_at=start,
        ends_at=start + HOUR,
    )
