"""Goals of a relationship's members: what I want to achieve, why, how I will know, by when;
with tasks (checkboxes) and progress.

A goal belongs to one person (a mentee, or a mentor keeping a learning goal) within one
relationship. It is private by default; who sees which of its fields is decided at display
time by `tandem.mentorships.goals.selectors` (PRODUCT.md privacy table), never here.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from tandem.core.models import TimeStampedModel
from tandem.mentorships.models.relationships import Relationship, RelationshipMember

MAX_TASKS = 20  # the page suggests one to six; past that it warns; this is the hard limit
SUGGESTED_TASKS = 6


class GoalSharing(models.TextChoices):
    PRIVATE = "private", "Only me"
    PARTNERS = "partners", "Me and my partner(s)"
    COORDINATOR = "coordinator", "My partner(s), and the coordinator sees its title and progress"


class Goal(TimeStampedModel):
    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="goals")
    owner = models.ForeignKey(RelationshipMember, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField("what I want to achieve", max_length=200)
    why = models.TextField("why it matters to me", blank=True)
    success_criteria = models.TextField("how I will know I got there", blank=True)
    target_date = models.DateField(null=True, blank=True)
    sharing = models.CharField(
        max_length=12, choices=GoalSharing.choices, default=GoalSharing.PRIVATE
    )
    # Set by the owner; None means the progress is the share of tasks done.
    progress_set = models.PositiveSmallIntegerField(null=True, blank=True)
    # From the form that created it: a second submission of the same form finds this row.
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["relationship", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sharing__in=GoalSharing.values), name="goal_sharing_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress_set__isnull=True) | Q(progress_set__lte=100),
                name="goal_progress_at_most_100",
            ),
            models.UniqueConstraint(
                fields=["relationship", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="goal_idempotency_key_unique",
            ),
        ]
        indexes = [models.Index(fields=["relationship", "sharing"])]

    def __str__(self) -> str:
        return f"Goal {self.pk} of member {self.owner_id}"


class GoalTask(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="tasks")
    text = models.CharField(max_length=300)
    done_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["goal", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="goal_task_idempotency_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Task {self.pk} of goal {self.goal_id}"

    @property
    def done(self) -> bool:
        return self.done_at is not None


def goal_progress(progress_set: int | None, tasks_done: int, tasks_total: int) -> int:
    """The percent shown: what the owner set, else the share of tasks done (0 without tasks)."""
    if progress_set is not None:
        return progress_set
    if tasks_total == 0:
        return 0
    return round(100 * tasks_done / tasks_total)
