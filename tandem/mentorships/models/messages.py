"""Messages between the members of a relationship, what each member has read, and the digest
emails that told them about new ones.

A message is plain text written by a member, for the other members only: the coordinator sees
how many there are and when the latest came, never a word of them (PRODUCT.md privacy table).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tandem.mentorships.models.relationships import Relationship, RelationshipMember

MAX_MESSAGE_CHARS = 5000


class Message(models.Model):
    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        RelationshipMember, on_delete=models.CASCADE, related_name="messages_written"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # From the form that sent it: a second submission of the same form finds this row.
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["relationship", "created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="message_body_not_empty"),
            models.UniqueConstraint(
                fields=["author", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="message_idempotency_key_unique",
            ),
        ]
        # The list is read by keyset on (created_at, id) within one relationship.
        indexes = [models.Index(fields=["relationship", "created_at", "id"])]

    def __str__(self) -> str:
        return f"Message {self.pk} in {self.relationship_id}"


class MessageReadState(models.Model):
    """How far a member has read their relationship's messages: everything up to
    `last_read_message` (messages only grow, so "read" is one id)."""

    member = models.OneToOneField(
        RelationshipMember, on_delete=models.CASCADE, related_name="message_read_state"
    )
    last_read_message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    read_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Member {self.member_id} read up to {self.last_read_message_id}"


class MessageDigest(models.Model):
    """One digest email of new messages sent to one person about one relationship, claimed by
    inserting this row: the unique period makes a second sweep (the worker, cron) send none."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="message_digests"
    )
    # "hourly:2026-12-03T13" (the clock hour, UTC) or "daily:2026-12-03" (the person's day).
    period = models.CharField(max_length=32)
    # The messages it lists, oldest first; the newest is where the next digest starts after.
    message_ids = models.JSONField(default=list)
    up_to_message_id = models.BigIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "relationship", "period"], name="message_digest_once_per_period"
            ),
        ]
        indexes = [models.Index(fields=["relationship", "user", "up_to_message_id"])]

    def __str__(self) -> str:
        return f"Digest {self.period} for {self.user_id} in {self.relationship_id}"
