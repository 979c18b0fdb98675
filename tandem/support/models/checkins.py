"""Check-ins: each member of a relationship is asked, now and then, how it is going (1 to 5,
and a comment), for the program's coordinators only (PRODUCT.md privacy table): the partner
never sees it. A score of 1 or 2 flags the relationship to the coordinators."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tandem.mentorships.models import Relationship

COMMENT_MAX = 2000
LOW_SCORES = (1, 2)


class CheckIn(models.Model):
    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="checkins"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checkins"
    )
    # The round of the program's schedule (1: the first, after `checkin_first_days`); a
    # coordinator's ask between rounds takes the round it falls in and is the same row.
    round = models.PositiveSmallIntegerField()
    asked_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(max_length=COMMENT_MAX, blank=True)

    class Meta:
        ordering = ["relationship", "round", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "user", "round"], name="checkin_once_per_round"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="checkin_score_1_to_5",
            ),
        ]
        indexes = [models.Index(fields=["answered_at", "reminded_at", "asked_at"])]

    def __str__(self) -> str:
        return f"Check-in {self.round} of {self.user_id} in relationship {self.relationship_id}"

    @property
    def is_low(self) -> bool:
        return self.score in LOW_SCORES
