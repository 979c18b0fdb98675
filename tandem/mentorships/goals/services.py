"""Writes of goals: create, edit, share, set progress, add and tick tasks.

Only the goal's owner writes it (`access.goal_of`, a 404 for anyone else), never in a concluded
relationship. Every write locks the relationship's row first, so the task limit holds when two
tabs add at once; a form submitted twice (same idempotency key) makes one goal or one task.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from tandem.accounts.models import User
from tandem.mentorships.goals.access import goal_of, task_of
from tandem.mentorships.models import Goal, GoalSharing, GoalTask
from tandem.mentorships.models.goals import MAX_TASKS, SUGGESTED_TASKS
from tandem.mentorships.sessions.access import ensure_writable, member_of

MAX_TEXT = 5000
MAX_TITLE = 200
MAX_TASK = 300


@dataclass
class GoalSaved:
    """A goal after a write, and the warnings to show (none refuse it)."""

    goal: Goal
    warnings: list[str] = field(default_factory=list)
    created: bool = True


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": "Say what you want to achieve."})
    if len(title) > MAX_TITLE:
        raise ValidationError({"title": f"Keep the goal under {MAX_TITLE} characters."})
    return title


def _clean_text(value: str, name: str) -> str:
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise ValidationError({name: f"Keep this under {MAX_TEXT} characters."})
    return value


def _clean_target(
    target: datetime.date | None, today: datetime.date, kept: datetime.date | None = None
) -> datetime.date | None:
    # A goal whose date has passed can still be edited; a new past date is a typo.
    if target is not None and target < today and target != kept:
        raise ValidationError({"target_date": "The target date has passed: choose one to come."})
    return target


def _clean_sharing(sharing: str) -> str:
    if sharing not in GoalSharing.values:
        raise ValidationError({"sharing": "Choose who sees this goal."})
    return sharing


def _clean_tasks(tasks: Sequence[str]) -> list[str]:
    cleaned = [" ".join(t.split()) for t in tasks]
    cleaned = [t for t in cleaned if t]
    if len(cleaned) > MAX_TASKS:
        raise ValidationError({"tasks": f"A goal has at most {MAX_TASKS} tasks."})
    if any(len(t) > MAX_TASK for t in cleaned):
        raise ValidationError({"tasks": f"Keep each task under {MAX_TASK} characters."})
    return cleaned


def _many_tasks_warning(count: int) -> list[str]:
    if count > SUGGESTED_TASKS:
        return [
            f"This goal has {count} tasks: one to {SUGGESTED_TASKS} are easier to keep up. "
            "They are kept; a second goal may suit some of them."
        ]
    return []


@transaction.atomic
def goal_create(
    *,
    relationship_id: int,
    user: User,
    title: str,
    why: str = "",
    success_criteria: str = "",
    target_date: datetime.date | None = None,
    sharing: str = GoalSharing.PRIVATE,
    tasks: Sequence[str] = (),
    idempotency_key: str = "",
    today: datetime.date | None = None,
) -> GoalSaved:
    """A member sets a goal of their own (mentors keep learning goals too), private unless
    `sharing` says otherwise. The same `idempotency_key` again returns the first goal."""
    today = today or timezone.localdate()
    member = member_of(user, relationship_id, lock=True)
    relationship = member.relationship
    ensure_writable(relationship)
    if idempotency_key:
        existing = Goal.objects.filter(
            relationship=relationship, owner=member, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            return GoalSaved(existing, created=False)
    cleaned_tasks = _clean_tasks(tasks)
    goal = Goal.objects.create(
        relationship=relationship,
        owner=member,
        title=_clean_title(title),
        why=_clean_text(why, "why"),
        success_criteria=_clean_text(success_criteria, "success_criteria"),
        target_date=_clean_target(target_date, today),
        sharing=_clean_sharing(sharing),
        idempotency_key=idempotency_key[:64],
    )
    GoalTask.objects.bulk_create(
        GoalTask(goal=goal, text=text, position=n) for n, text in enumerate(cleaned_tasks)
    )
    return GoalSaved(goal, _many_tasks_warning(len(cleaned_tasks)))


@transaction.atomic
def goal_update(
    *,
    goal_id: int,
    user: User,
    title: str,
    why: str = "",
    success_criteria: str = "",
    target_date: datetime.date | None = None,
    sharing: str | None = None,
    today: datetime.date | None = None,
) -> GoalSaved:
    """The owner rewrites the goal's prompts (and, with `sharing`, who sees it)."""
    today = today or timezone.localdate()
    goal, member = goal_of(user, goal_id, lock=True)
    ensure_writable(member.relationship)
    goal.title = _clean_title(title)
    goal.why = _clean_text(why, "why")
    goal.success_criteria = _clean_text(success_criteria, "success_criteria")
    goal.target_date = _clean_target(target_date, today, kept=goal.target_date)
    fields = ["title", "why", "success_criteria", "target_date", "updated_at"]
    if sharing is not None:
        goal.sharing = _clean_sharing(sharing)
        fields.append("sharing")
    goal.save(update_fields=fields)
    return GoalSaved(goal, created=False)


@transaction.atomic
def goal_share(*, goal_id: int, user: User, sharing: str) -> Goal:
    """The owner decides who sees the goal: only them, their partner(s), or also the
    coordinator (its title and progress only)."""
    goal, member = goal_of(user, goal_id, lock=True)
    ensure_writable(member.relationship)
    goal.sharing = _clean_sharing(sharing)
    goal.save(update_fields=["sharing", "updated_at"])
    return goal


def parse_progress(value: str) -> int | None:
    """A percent typed in a form: empty means "from the tasks done"; else 0 to 100."""
    value = value.strip().rstrip("%").strip()
    if not value:
        return None
    try:
        percent = int(value)
    except ValueError:
        raise ValidationError({"progress": "Progress is a whole number from 0 to 100."}) from None
    return percent


@transaction.atomic
def goal_progress_set(*, goal_id: int, user: User, percent: int | None) -> Goal:
    """The owner sets the progress (0 to 100), or with None lets the tasks done decide it."""
    if percent is not None and not 0 <= percent <= 100:
        raise ValidationError({"progress": "Progress is a percent from 0 to 100."})
    goal, member = goal_of(user, goal_id, lock=True)
    ensure_writable(member.relationship)
    goal.progress_set = percent
    goal.save(update_fields=["progress_set", "updated_at"])
    return goal


@transaction.atomic
def goal_task_add(
    *, goal_id: int, user: User, text: str, idempotency_key: str = ""
) -> tuple[GoalTask, list[str]]:
    """The owner adds a task; past the suggested six a warning, past the limit a refusal."""
    goal, member = goal_of(user, goal_id, lock=True)
    ensure_writable(member.relationship)
    if idempotency_key:
        existing = goal.tasks.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, []
    text = " ".join(text.split())
    if not text:
        raise ValidationError({"text": "Write the task."})
    if len(text) > MAX_TASK:
        raise ValidationError({"text": f"Keep the task under {MAX_TASK} characters."})
    count = goal.tasks.count()
    if count >= MAX_TASKS:
        raise ValidationError({"text": f"A goal has at most {MAX_TASKS} tasks."})
    last = goal.tasks.aggregate(last=Max("position"))["last"]
    task = GoalTask.objects.create(
        goal=goal,
        text=text,
        position=0 if last is None else last + 1,
        idempotency_key=idempotency_key[:64],
    )
    Goal.objects.filter(pk=goal.pk).update(updated_at=timezone.now())
    return task, _many_tasks_warning(count + 1)


@transaction.atomic
def goal_task_mark(
    *, task_id: int, user: User, done: bool, now: datetime.datetime | None = None
) -> GoalTask:
    """The owner ticks a task, or unticks it. Ticking twice keeps the first time."""
    now = now or timezone.now()
    task, goal, member = task_of(user, task_id, lock=True)
    ensure_writable(member.relationship)
    if done and task.done_at is None:
        task.done_at = now
    elif not done:
        task.done_at = None
    task.save(update_fields=["done_at"])
    Goal.objects.filter(pk=goal.pk).update(updated_at=now)
    return task


@transaction.atomic
def goal_task_delete(*, task_id: int, user: User) -> Goal:
    """The owner removes a task."""
    task, goal, member = task_of(user, task_id, lock=True)
    ensure_writable(member.relationship)
    task.delete()
    return goal
