"""Digest emails of new messages: at most one per person, relationship and period (a clock
hour, or the person's day from 08:00), as each person chose (hourly, daily, or never).

A digest lists the messages the person has not read yet and no earlier digest listed, written
by the others before the period began. It goes to a member of the relationship, for whom the
messages were written, so it carries their text; nothing else does (the notice, the task's
arguments, the log line).

Sending a message queues `send_message_digests` for the end of the period (`run_after`);
`manage.py send_message_digests` sweeps every relationship with recent messages, for cron or a
worker that was not running. Each digest is claimed by inserting its MessageDigest row (unique
per person, relationship and period) in the transaction that queues its email, BATCH
relationships at a time: running the sweep twice, or cron beside the worker, sends nothing
twice. Someone who left gets none.

The tasks live here, beside the sweep they run and the scheduling that queues them.
"""

from __future__ import annotations

import datetime
import logging
import zoneinfo
from collections.abc import Sequence
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from tandem.accounts.preferences import DAILY, HOURLY, OFF, message_digest_frequency
from tandem.mentorships.models import Message, MessageDigest, RelationshipMember
from tandem.mentorships.sessions.times import format_moment
from tandem.programs.models import ParticipantStatus

logger = logging.getLogger(__name__)

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
DAILY_AT = datetime.time(8, 0)  # the morning digest, in the person's time zone
# Messages older than this when the sweep runs are left to Tandem's pages (a worker that was
# down for a week does not send a week-old digest).
DIGEST_WINDOW = datetime.timedelta(days=2)
SHOWN = 30  # messages written out in one email; the rest are counted, with the link


def _hour_start(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)


def _last_morning(zone: zoneinfo.ZoneInfo, moment: datetime.datetime) -> datetime.datetime:
    """The latest 08:00 in `zone` at or before `moment`."""
    local = moment.astimezone(zone)
    morning = datetime.datetime.combine(local.date(), DAILY_AT, tzinfo=zone)
    if morning > local:
        morning = datetime.datetime.combine(local.date() - DAY, DAILY_AT, tzinfo=zone)
    return morning.astimezone(datetime.UTC)


def _next_morning(zone: zoneinfo.ZoneInfo, morning: datetime.datetime) -> datetime.datetime:
    local = morning.astimezone(zone)
    following = datetime.datetime.combine(local.date() + DAY, DAILY_AT, tzinfo=zone)
    return following.astimezone(datetime.UTC)


def period_around(
    frequency: str, zone: zoneinfo.ZoneInfo, moment: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    """The digest period `moment` falls in, as (start, end): its digest is due at the end."""
    if frequency == DAILY:
        start = _last_morning(zone, moment)
        return start, _next_morning(zone, start)
    start = _hour_start(moment)
    return start, start + HOUR


def digest_period(
    frequency: str, zone: zoneinfo.ZoneInfo, now: datetime.datetime
) -> tuple[str, datetime.datetime]:
    """The period whose digest a sweep at `now` sends, as (key, cutoff): it lists messages
    written before the cutoff, the start of the current hour or of the person's day."""
    if frequency == DAILY:
        cutoff = _last_morning(zone, now)
        return f"daily:{cutoff.astimezone(zone):%Y-%m-%d}", cutoff
    cutoff = _hour_start(now)
    return f"hourly:{cutoff:%Y-%m-%dT%H}", cutoff


BATCH = 500  # relationships claimed in one transaction


def message_digests_send(
    *, relationship_ids: Sequence[int] | None = None, now: datetime.datetime | None = None
) -> int:
    """Send every digest that is due, once each. Returns how many were claimed."""
    now = now or timezone.now()
    recent = Message.objects.filter(created_at__gte=now - DIGEST_WINDOW, created_at__lt=now)
    if relationship_ids is not None:
        recent = recent.filter(relationship_id__in=list(relationship_ids))
    relationships = sorted(set(recent.values_list("relationship_id", flat=True)))
    return sum(
        _digests_batch(relationships[i : i + BATCH], now)
        for i in range(0, len(relationships), BATCH)
    )


def _digests_batch(relationship_ids: list[int], now: datetime.datetime) -> int:
    """The digests due in a batch of relationships, claimed together: the rows are inserted
    with conflicts ignored (a sweep beside this one may have claimed some), then the rows this
    sweep inserted (its own `sent_at`) are the ones it queues. A fixed number of queries."""
    members = list(
        RelationshipMember.objects.filter(
            relationship_id__in=relationship_ids, participant__status=ParticipantStatus.JOINED
        )
        .select_related("participant__user__notification_settings", "message_read_state")
        .order_by("relationship_id", "pk")
    )
    recent: dict[int, list[tuple[int, datetime.datetime, int | None]]] = {}
    for relationship_id, pk, created_at, author in (
        Message.objects.filter(
            relationship_id__in=relationship_ids,
            created_at__gte=now - DIGEST_WINDOW,
            created_at__lt=now,
        )
        .order_by("created_at", "pk")
        .values_list("relationship_id", "pk", "created_at", "author__participant__user_id")
    ):
        recent.setdefault(relationship_id, []).append((pk, created_at, author))
    digested = {
        (relationship_id, user_id): up_to
        for relationship_id, user_id, up_to in MessageDigest.objects.filter(
            relationship_id__in=relationship_ids
        )
        .values_list("relationship_id", "user_id")
        .annotate(up_to=Max("up_to_message_id"))
        .values_list("relationship_id", "user_id", "up_to")
    }
    claims = []
    for member in members:
        user = member.participant.user
        frequency = message_digest_frequency(user)
        if frequency == OFF:
            continue
        period, cutoff = digest_period(frequency, user.zone, now)
        read = _read_up_to(member)
        after = max(read, digested.get((member.relationship_id, user.pk)) or 0)
        listed = [
            pk
            for pk, created_at, author in recent.get(member.relationship_id, [])
            if author != user.pk and pk > after and created_at < cutoff
        ]
        if listed:
            claims.append(
                MessageDigest(
                    user=user,
                    relationship_id=member.relationship_id,
                    period=period,
                    message_ids=listed,
                    up_to_message_id=listed[-1],
                    sent_at=now,
                )
            )
    if not claims:
        return 0
    with transaction.atomic():
        MessageDigest.objects.bulk_create(claims, ignore_conflicts=True)
        ours = list(
            MessageDigest.objects.filter(
                relationship_id__in={c.relationship_id for c in claims},
                period__in={c.period for c in claims},
                sent_at=now,
            ).values_list("pk", flat=True)
        )
        for digest_id in ours:
            transaction.on_commit(partial(deliver_message_digest.enqueue, digest_id=digest_id))
    return len(ours)


def _read_up_to(member: RelationshipMember) -> int:
    try:
        return member.message_read_state.last_read_message_id or 0
    except RelationshipMember.message_read_state.RelatedObjectDoesNotExist:
        return 0


def message_digest_deliver(*, digest_id: int) -> bool:
    """Render and send one claimed digest, if its person is still a member. Called by the
    worker; reads the messages now, so that no text travels through the task queue."""
    digest = (
        MessageDigest.objects.select_related("user", "relationship__program__organization")
        .filter(pk=digest_id)
        .first()
    )
    if digest is None:
        return False
    user, relationship = digest.user, digest.relationship
    still_member = RelationshipMember.objects.filter(
        relationship=relationship,
        participant__user=user,
        participant__status=ParticipantStatus.JOINED,
    ).exists()
    if not still_member:
        return False
    messages = list(
        Message.objects.filter(pk__in=digest.message_ids[-SHOWN:], relationship=relationship)
        .select_related("author__participant__user")
        .order_by("created_at", "pk")
    )
    if not messages:
        return False
    authors = sorted({m.author.participant.user.display_name for m in messages})
    count = len(digest.message_ids)
    context = {
        "site_url": settings.SITE_URL,
        "name": user.display_name,
        "subject": f"{count} new message{'s' if count != 1 else ''} from {', '.join(authors)}",
        "program_name": relationship.program.name,
        "organization_name": relationship.program.organization.name,
        "messages": [
            {
                "author": m.author.participant.user.display_name,
                "when": format_moment(m.created_at, user.zone),
                "body": m.body,
            }
            for m in messages
        ],
        "not_shown": count - len(messages),
        "url": reverse("mentorships:messages", args=[relationship.pk]),
        "settings_url": reverse("notification_settings"),
        "frequency": "hourly" if digest.period.startswith(HOURLY) else "daily",
    }
    subject = " ".join(render_to_string("emails/message_digest_subject.txt", context).split())
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/message_digest.txt", context),
        to=[user.email],
    )
    email.attach_alternative(render_to_string("emails/message_digest.html", context), "text/html")
    email.send()
    # The kind and the count, never an address or a word of the messages.
    logger.info("sent email message_digest with %d message(s)", count)
    return True


@task()
def send_message_digests(relationship_ids: list[int] | None = None) -> int:
    return message_digests_send(relationship_ids=relationship_ids)


@task()
def deliver_message_digest(digest_id: int) -> bool:
    return message_digest_deliver(digest_id=digest_id)


def supports_scheduling() -> bool:
    return bool(send_message_digests.get_backend().supports_defer)


def schedule(relationship_id: int, run_after: datetime.datetime) -> None:
    """After commit, queue the sweep of one relationship for `run_after`."""
    transaction.on_commit(
        lambda: send_message_digests.using(run_after=run_after).enqueue(
            relationship_ids=[relationship_id]
        )
    )
