"""A relationship's life after the match: pauses, its conclusion with each member's closing
reflection, re-ignition, and the history of who changed its status, when and why."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tandem.mentorships.models.relationships import Relationship, RelationshipStatus


class RelationshipStatusChange(models.Model):
    """One change of a relationship's status. The reason is the members' own: the coordinator
    sees who changed what and when (PRODUCT.md: metadata, never what members wrote)."""

    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=10, choices=RelationshipStatus.choices)
    to_status = models.CharField(max_length=10, choices=RelationshipStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    by_coordinator = models.BooleanField(default=False)
    reason = models.TextField(max_length=2000, blank=True)
    resume_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["relationship", "created_at", "id"]
        indexes = [models.Index(fields=["relationship", "created_at"])]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status} of {self.relationship_id}"


class ReigniteRequest(models.Model):
    """A member's wish to start a concluded relationship again; another member answers."""

    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="reignite_requests"
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    accepted = models.BooleanField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["relationship"],
                condition=Q(answered_at__isnull=True),
                name="reignite_request_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"Re-ignite request for {self.relationship_id}"


class Again(models.TextChoices):
    YES = "yes", "Yes"
    NOT_SURE = "not_sure", "Not sure"
    NO = "no", "No"


class ClosingReflection(models.Model):
    """What a member takes away when the relationship concludes. Private unless shared with
    the partner(s); the coordinator never reads it."""

    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="closing_reflections"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="closing_reflections"
    )
    went_well = models.TextField("what went well", max_length=5000, blank=True)
    learned = models.TextField("what I learned", max_length=5000, blank=True)
    again = models.CharField(
        "would I do it again", max_length=10, choices=Again.choices, blank=True
    )
    shared = models.BooleanField("shared with my partner(s)", default=False)
    written_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "author"], name="closing_reflection_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Closing reflection of {self.author_id} on {self.relationship_id}"
