"""Who may act on a goal: its owner only, while still a member of the relationship.

Anyone else (the partner, the coordinator, another relationship's member, someone who left)
gets a 404: a private goal's page never says the goal exists.
"""

from __future__ import annotations

from tandem.accounts.models import User
from tandem.mentorships.models import Goal, GoalTask, RelationshipMember
from tandem.mentorships.sessions.access import NotAMember, member_of


def _owned(user: User, relationship_id: int | None, *, lock: bool) -> RelationshipMember:
    if relationship_id is None:
        raise NotAMember("No such goal.")
    return member_of(user, relationship_id, lock=lock)


def goal_of(user: User, goal_id: int, *, lock: bool = False) -> tuple[Goal, RelationshipMember]:
    """A goal `user` owns in a relationship they are still a member of; else 404.

    `lock` takes the relationship's row (as sessions do), then the goal's.
    """
    relationship_id = Goal.objects.filter(pk=goal_id).values_list("relationship_id", flat=True)
    member = _owned(user, relationship_id.first(), lock=lock)
    queryset = Goal.objects.filter(pk=goal_id, owner=member)
    if lock:
        queryset = queryset.select_for_update()
    goal = queryset.first()
    if goal is None:
        raise NotAMember("No such goal.")
    goal.relationship = member.relationship
    goal.owner = member
    return goal, member


def task_of(
    user: User, task_id: int, *, lock: bool = False
) -> tuple[GoalTask, Goal, RelationshipMember]:
    """A task of a goal `user` owns; else 404."""
    goal_id = GoalTask.objects.filter(pk=task_id).values_list("goal_id", flat=True).first()
    if goal_id is None:
        raise NotAMember("No such task.")
    goal, member = goal_of(user, goal_id, lock=lock)
    task = GoalTask.objects.get(pk=task_id)
    task.goal = goal
    return task, goal, member
