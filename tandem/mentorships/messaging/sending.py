"""Writing a message: a member of the relationship, never in a concluded one; a form submitted
twice (same idempotency key) makes one message.

The other members get one in-app notice per relationship however many messages arrive (it is
refreshed while unread, never repeated), and their digest sweep is queued for when their digest
period ends. Neither the notice nor anything queued carries what was written.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import Notification, User
from tandem.accounts.preferences import OFF, message_digest_frequency
from tandem.mentorships.messaging import digests
from tandem.mentorships.models import Message, RelationshipMember
from tandem.mentorships.models.messages import MAX_MESSAGE_CHARS
from tandem.mentorships.sessions.access import ensure_writable, member_of
from tandem.programs.models import ParticipantStatus

NOTICE_KIND = "message_received"


@dataclass(frozen=True)
class MessageSent:
    message: Message
    created: bool = True


def messages_path(relationship_id: int) -> str:
    return reverse("mentorships:messages", args=[relationship_id])


def clean_body(body: str) -> str:
    """The text as kept: line endings made \\n, blank space around it removed; refused when
    empty, too long or holding a NUL (a message naming the field)."""
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip()
    if "\x00" in body:
        raise ValidationError({"body": "The message holds a null character: remove it."})
    if not body:
        raise ValidationError({"body": "Write your message first."})
    if len(body) > MAX_MESSAGE_CHARS:
        too_long = f"Keep a message under {MAX_MESSAGE_CHARS:,} characters (this is {len(body):,})."
        raise ValidationError({"body": too_long})
    return body


@transaction.atomic
def message_send(
    *,
    relationship_id: int,
    user: User,
    body: str,
    idempotency_key: str = "",
    now: datetime.datetime | None = None,
) -> MessageSent:
    """A member writes to the others in the relationship. The same `idempotency_key` again
    returns the first message."""
    now = now or timezone.now()
    member = member_of(user, relationship_id, lock=True)
    relationship = member.relationship
    ensure_writable(relationship)
    key = idempotency_key[:64]
    if key:
        existing = Message.objects.filter(author=member, idempotency_key=key).first()
        if existing is not None:
            return MessageSent(existing, created=False)
    message = Message.objects.create(
        relationship=relationship,
        author=member,
        body=clean_body(body),
        created_at=now,
        idempotency_key=key,
    )
    recipients = list(
        relationship.members.filter(participant__status=ParticipantStatus.JOINED)
        .exclude(pk=member.pk)
        .select_related("participant__user__notification_settings")
    )
    _tell(recipients, member, message)
    _schedule_digests(recipients, message)
    return MessageSent(message)


def _tell(
    recipients: list[RelationshipMember], author: RelationshipMember, message: Message
) -> None:
    """One unread notice per recipient and relationship: refreshed if there is one, else made."""
    users = [m.participant.user for m in recipients]
    if not users:
        return
    url = messages_path(message.relationship_id)
    name = author.participant.user.display_name
    program = message.relationship.program.name
    unread = Notification.objects.unread().filter(user__in=users, kind=NOTICE_KIND, url=url)
    waiting = set(unread.values_list("user_id", flat=True))
    unread.update(
        text=f"New messages in {program}, the latest from {name}"[:300],
        created_at=message.created_at,
    )
    Notification.objects.bulk_create(
        Notification(
            user=user,
            kind=NOTICE_KIND,
            text=f"{name} wrote to you in {program}"[:300],
            url=url,
            created_at=message.created_at,
        )
        for user in users
        if user.pk not in waiting
    )


def _schedule_digests(recipients: list[RelationshipMember], message: Message) -> None:
    """Queue the digest sweep of this relationship for the end of each recipient's digest
    period, unless an earlier message of this period already did (one task per period, not
    one per message). Where the backend cannot wait (TASKS_IMMEDIATE), cron sends them."""
    if not digests.supports_scheduling():
        return
    periods: dict[int, tuple[datetime.datetime, datetime.datetime]] = {}
    for recipient in recipients:
        user = recipient.participant.user
        frequency = message_digest_frequency(user)
        if frequency == OFF:
            continue
        periods[user.pk] = digests.period_around(frequency, user.zone, message.created_at)
    if not periods:
        return
    earliest = min(start for start, _ in periods.values())
    # The latest earlier message of each author in the window: it queued their recipients' sweep.
    latest_by_author = dict(
        Message.objects.filter(relationship_id=message.relationship_id, created_at__gte=earliest)
        .exclude(pk=message.pk)
        .values_list("author__participant__user_id")
        .annotate(latest=Max("created_at"))
        .values_list("author__participant__user_id", "latest")
    )
    due = set()
    for user_id, (start, end) in periods.items():
        queued = any(
            author != user_id and latest >= start for author, latest in latest_by_author.items()
        )
        if not queued:
            due.add(end)
    for run_after in sorted(due):
        digests.schedule(message.relationship_id, run_after)
