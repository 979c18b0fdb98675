"""Support requests: a participant tells the program's coordinators, privately, that they need
help their mentoring relationship cannot give, or that something is wrong in it.

Addressed to the coordinators only (PRODUCT.md privacy table): the partner is never told and
never learns that a request exists; an email says that a request arrived and links to it,
never what it says. The author reads their requests and the replies; the resolution note is
the coordinators' own.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tandem.mentorships.models import Relationship
from tandem.programs.models import Program, ReferralPathway

MESSAGE_MAX = 5000


class Category(models.TextChoices):
    WELLBEING = "wellbeing", "My wellbeing"
    RELATIONSHIP = "relationship", "My mentoring relationship"
    CONDUCT = "conduct", "Someone's conduct"
    OTHER = "other", "Something else"


class Urgency(models.TextChoices):
    LOW = "low", "It can wait a week"
    NORMAL = "normal", "In the next few days"
    HIGH = "high", "Today, please"


class RequestStatus(models.TextChoices):
    NEW = "new", "New"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class SupportRequest(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="support_requests")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_requests"
    )
    # The author's relationship in the program when they wrote, for "my relationship" and
    # "conduct": what the coordinator can pause. Never shown to the partner.
    relationship = models.ForeignKey(
        Relationship, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    category = models.CharField(max_length=12, choices=Category.choices)
    urgency = models.CharField(max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    message = models.TextField(max_length=MESSAGE_MAX)
    status = models.CharField(
        max_length=12, choices=RequestStatus.choices, default=RequestStatus.NEW
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)  # the first coordinator reply
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    resolution_note = models.TextField(max_length=MESSAGE_MAX, blank=True)  # coordinators only
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["program", "status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="support_request_once_per_form",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="support_request_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Support request {self.pk} in program {self.program_id}"


class SupportReply(models.Model):
    """A reply in a request's thread: from a coordinator (who may point to a referral pathway),
    or a follow-up from the author. Both read the whole thread."""

    request = models.ForeignKey(SupportRequest, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    by_coordinator = models.BooleanField()
    text = models.TextField(max_length=MESSAGE_MAX)
    pathway = models.ForeignKey(
        ReferralPathway, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["request", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "author", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="support_reply_once_per_form",
            ),
        ]

    def __str__(self) -> str:
        return f"Reply {self.pk} to support request {self.request_id}"
