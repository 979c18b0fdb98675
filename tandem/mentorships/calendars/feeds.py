"""Calendar feeds: turning a person's feed on, replacing its address, turning it off, reading it."""

from __future__ import annotations

import datetime
import re

from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.mentorships.models import CalendarFeed, RelationshipMember, Session, SessionStatus
from tandem.mentorships.models.calendars import new_feed_token
from tandem.mentorships.models.sessions import TIMED_STATUSES
from tandem.programs.models import ParticipantStatus

_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A feed reaches this far back (and everything ahead), so that it stays small for years.
FEED_PAST_DAYS = 365
FEED_MAX_EVENTS = 1000


@transaction.atomic
def feed_turn_on(*, user: User) -> CalendarFeed:
    """The person's feed, created if they had none (turning it on twice makes one feed)."""
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def feed_replace_address(*, user: User) -> CalendarFeed:
    """A new secret address; the old one stops working at once."""
    feed, created = CalendarFeed.objects.get_or_create(user=user)
    if not created:
        feed.token = new_feed_token()
        feed.save(update_fields=["token"])
    return feed


def feed_turn_off(*, user: User) -> None:
    CalendarFeed.objects.filter(user=user).delete()


def feed_by_token(token: str) -> CalendarFeed | None:
    # A token is URL-safe base64: anything else (a NUL, which PostgreSQL refuses) names no feed.
    if not _TOKEN.fullmatch(token):
        return None
    return CalendarFeed.objects.select_related("user").filter(token=token).first()


def feed_entries(
    user: User, *, now: datetime.datetime | None = None
) -> list[tuple[Session, list[str]]]:
    """The person's sessions with a time, each with the other members' names, in three queries.

    Only relationships the person is still a member of (as a joined participant): someone who
    left sees those sessions leave their calendar.
    """
    now = now or timezone.now()
    relationship_ids = list(
        RelationshipMember.objects.filter(
            participant__user=user, participant__status=ParticipantStatus.JOINED
        ).values_list("relationship_id", flat=True)
    )
    sessions = list(
        Session.objects.filter(
            relationship_id__in=relationship_ids,
            status__in=[*TIMED_STATUSES, SessionStatus.CANCELLED],
            starts_at__isnull=False,
            starts_at__gte=now - datetime.timedelta(days=FEED_PAST_DAYS),
        ).order_by("starts_at", "pk")[:FEED_MAX_EVENTS]
    )
    names: dict[int, list[str]] = {}
    others = (
        RelationshipMember.objects.filter(relationship_id__in=relationship_ids)
        .exclude(participant__user=user)
        .select_related("participant__user")
        .order_by("role", "pk")
    )
    for member in others:
        names.setdefault(member.relationship_id, []).append(member.participant.user.display_name)
    return [(session, names.get(session.relationship_id, [])) for session in sessions]
