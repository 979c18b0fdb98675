"""What the coordinator did from the health page that nothing else records: nudges. (A
check-in asked is a check-in; a pause or a conclusion is in the relationship's history.)"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tandem.mentorships.models import Relationship


class CoordinatorNudge(models.Model):
    """A templated email to a quiet relationship: its mentees first; on a second nudge in the
    same quiet spell, its mentor too."""

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="+")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    to_mentor = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["relationship", "sent_at", "id"]
        indexes = [models.Index(fields=["relationship", "sent_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["sent_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="coordinator_nudge_once_per_click",
            ),
        ]

    def __str__(self) -> str:
        return f"Nudge of relationship {self.relationship_id} at {self.sent_at:%Y-%m-%d}"
