"""Mentoring relationships: who works together in a program, since when, and in what state.

This app sits below matching: matching (smart, manual and self) creates relationships through
the services here; nothing here knows how a relationship was proposed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from tandem.core.models import TimeStampedModel
from tandem.programs.models import Format, Participant, Program

if TYPE_CHECKING:
    from tandem.accounts.models import User


class RelationshipStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    CONCLUDED = "concluded", "Concluded"


# A mentor's capacity counts the mentees of relationships that are still going.
OPEN_STATUSES = (RelationshipStatus.ACTIVE, RelationshipStatus.PAUSED)


class MatchSource(models.TextChoices):
    SMART = "smart", "Smart match"
    MANUAL = "manual", "Manual"
    SELF = "self", "Self-match"


class RelationshipQuerySet(models.QuerySet["Relationship"]):
    def open(self) -> RelationshipQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def of_user(self, user: User) -> RelationshipQuerySet:
        return self.filter(members__participant__user=user).distinct()


class Relationship(TimeStampedModel):
    """A mentoring relationship: one mentor and one mentee, a group, or peers."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="relationships")
    format = models.CharField(max_length=20, choices=Format.choices)
    status = models.CharField(
        max_length=10, choices=RelationshipStatus.choices, default=RelationshipStatus.ACTIVE
    )
    source = models.CharField(max_length=10, choices=MatchSource.choices)
    started_on = models.DateField()
    intended_end_on = models.DateField(help_text="A guide from the program's duration.")
    score = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    override_reason = models.TextField(
        blank=True, help_text="Why a coordinator matched past a capacity or a required rule."
    )
    # While paused: the day it resumes by itself, if the members gave one.
    resume_on = models.DateField(null=True, blank=True)
    concluded_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[RelationshipQuerySet] = RelationshipQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["program", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RelationshipStatus.values),
                name="relationship_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Relationship {self.pk} in {self.program}"


class MemberRole(models.TextChoices):
    MENTOR = "mentor", "Mentor"
    MENTEE = "mentee", "Mentee"
    PEER = "peer", "Peer"


class RelationshipMember(models.Model):
    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="members")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=MemberRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "participant"], name="relationship_member_unique"
            ),
        ]
        indexes = [models.Index(fields=["participant", "role"])]

    def __str__(self) -> str:
        return f"{self.participant_id} as {self.role} in {self.relationship_id}"
