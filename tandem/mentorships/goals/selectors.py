"""Reads of goals, and the one place that decides who sees which of a goal's fields.

PRODUCT.md privacy table: a private goal (the default) is its owner's only; a shared goal shows
its partner(s) the title, tasks, success criteria and progress (not why it matters, nor its
date); a goal shared with the coordinator shows them its title and progress only. Every page
and email renders a `GoalView` made by `goal_shown_to`, never a `Goal`.
"""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q

from tandem.mentorships.models import (
    Goal,
    GoalSharing,
    GoalTask,
    Relationship,
    RelationshipMember,
    RelationshipStatus,
)
from tandem.mentorships.models.goals import MAX_TASKS, SUGGESTED_TASKS, goal_progress
from tandem.mentorships.sessions.forms import new_idempotency_key
from tandem.mentorships.sessions.next_step import NextStep, goal_step_for


class Audience(enum.Enum):
    OWNER = "owner"
    PARTNER = "partner"
    COORDINATOR = "coordinator"


@dataclass(frozen=True)
class TaskView:
    pk: int
    text: str
    done: bool


@dataclass(frozen=True)
class GoalView:
    """What one audience may see of a goal; a field it may not see is None (or empty)."""

    pk: int
    title: str
    progress: int
    why: str | None = None
    success_criteria: str | None = None
    target_date: datetime.date | None = None
    tasks: list[TaskView] | None = None
    sharing: str | None = None
    sharing_label: str | None = None
    progress_from_tasks: bool | None = None
    too_many_tasks: bool = False
    full: bool = False


def goal_shown_to(goal: Goal, audience: Audience, tasks: list[GoalTask]) -> GoalView | None:
    """The goal as `audience` may see it, or None when it is not theirs to see at all.

    `tasks` are the goal's tasks; the coordinator's reads pass none and annotate the counts
    `tasks_total` and `tasks_done` instead, so that no task text leaves the database.
    """
    total = getattr(goal, "tasks_total", len(tasks))
    done = getattr(goal, "tasks_done", sum(1 for t in tasks if t.done_at is not None))
    progress = goal_progress(goal.progress_set, done, total)
    if audience is Audience.COORDINATOR:
        if goal.sharing != GoalSharing.COORDINATOR:
            return None
        return GoalView(pk=goal.pk, title=goal.title, progress=progress)
    task_views = [TaskView(t.pk, t.text, t.done_at is not None) for t in tasks]
    if audience is Audience.PARTNER:
        if goal.sharing == GoalSharing.PRIVATE:
            return None
        return GoalView(
            pk=goal.pk,
            title=goal.title,
            progress=progress,
            success_criteria=goal.success_criteria,
            tasks=task_views,
        )
    return GoalView(
        pk=goal.pk,
        title=goal.title,
        progress=progress,
        why=goal.why,
        success_criteria=goal.success_criteria,
        target_date=goal.target_date,
        tasks=task_views,
        sharing=goal.sharing,
        sharing_label=goal.get_sharing_display(),
        progress_from_tasks=goal.progress_set is None,
        too_many_tasks=len(tasks) > SUGGESTED_TASKS,
        full=len(tasks) >= MAX_TASKS,
    )


@dataclass(frozen=True)
class WorkspaceGoals:
    mine: list[GoalView]
    partners: list[tuple[RelationshipMember, list[GoalView]]]
    step: NextStep | None
    can_write: bool
    sharing_choices: list[tuple[str, str]] = field(default_factory=list)
    # For the page's add-a-task forms: the same form posted twice adds one task.
    task_key: str = field(default_factory=new_idempotency_key)


def goals_for_workspace(
    member: RelationshipMember, members: list[RelationshipMember]
) -> WorkspaceGoals:
    """The viewer's own goals, and the goals their partners shared with them.

    Two queries whatever the number of goals and tasks: the goals (a partner's private goal
    is not even read), and their tasks.
    """
    relationship = member.relationship
    goals = list(
        Goal.objects.filter(relationship=relationship)
        .filter(Q(owner=member) | ~Q(sharing=GoalSharing.PRIVATE))
        .prefetch_related(Prefetch("tasks", queryset=GoalTask.objects.order_by("position", "pk")))
        .order_by("created_at", "pk")
    )
    mine: list[GoalView] = []
    theirs: dict[int, list[GoalView]] = {}
    for goal in goals:
        tasks = list(goal.tasks.all())
        if goal.owner_id == member.pk:
            view = goal_shown_to(goal, Audience.OWNER, tasks)
            if view is not None:
                mine.append(view)
        else:
            view = goal_shown_to(goal, Audience.PARTNER, tasks)
            if view is not None:
                theirs.setdefault(goal.owner_id, []).append(view)
    partners = [(m, theirs[m.pk]) for m in members if m.pk in theirs and m.pk != member.pk]
    step = goal_step_for(
        viewer=member,
        relationship=relationship,
        goal_tasks=[(g.pk, len(g.tasks or [])) for g in mine],
    )
    return WorkspaceGoals(
        mine=mine,
        partners=partners,
        step=step,
        can_write=relationship.status != RelationshipStatus.CONCLUDED,
        sharing_choices=list(GoalSharing.choices),
    )


def goals_for_coordinator(relationship: Relationship) -> list[GoalView]:
    """The goals shared with the coordinator: title and progress only. Nothing else of any
    goal is read, not even how many private ones there are."""
    goals = (
        Goal.objects.filter(relationship=relationship, sharing=GoalSharing.COORDINATOR)
        .only("pk", "title", "progress_set", "sharing")
        .annotate(
            tasks_total=Count("tasks"),
            tasks_done=Count("tasks", filter=Q(tasks__done_at__isnull=False)),
        )
        .order_by("created_at", "pk")
    )
    return [v for g in goals if (v := goal_shown_to(g, Audience.COORDINATOR, [])) is not None]


def goal_prompts_of(program_prompts: str) -> list[str]:
    """The program's goal-setting prompts, one a line."""
    return [line.strip() for line in program_prompts.splitlines() if line.strip()]
