"""Whose move it is in a relationship, and what it is: the mentee is prompted first.

The mentor is prompted only when the mentee has acted (proposed times, sent an agenda) or has
stalled (no session to come for the program's `mentor_prompt_after_days`). In a group any
mentee can act, in a peer circle any peer. A pure function of what the workspace loaded.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from django.urls import reverse

from tandem.mentorships.models import (
    Relationship,
    RelationshipMember,
    RelationshipStatus,
    Session,
    SessionStatus,
)
from tandem.mentorships.sessions.access import writes_agendas
from tandem.mentorships.sessions.times import day_name


@dataclass(frozen=True)
class NextStep:
    text: str
    url: str = ""
    yours: bool = False  # the viewer's move (else someone else's)


def _names(members: Sequence[RelationshipMember]) -> str:
    names = [m.participant.user.display_name for m in members]
    if len(names) <= 2:
        return " and ".join(names) or "your partner"
    return ", ".join(names[:-1]) + f" and {names[-1]}"


def _sent(session: Session) -> bool:
    agenda = getattr(session, "agenda", None)
    return agenda is not None and agenda.sent_at is not None


def next_step_for(
    *,
    viewer: RelationshipMember,
    members: Sequence[RelationshipMember],
    sessions: Sequence[Session],
    relationship: Relationship,
    now: datetime.datetime,
    zone: zoneinfo.ZoneInfo,
) -> NextStep:
    """What happens next, for `viewer`; `sessions` are the relationship's, any order."""
    if relationship.status == RelationshipStatus.CONCLUDED:
        return NextStep("This relationship has concluded.")
    if relationship.status == RelationshipStatus.PAUSED:
        until = (
            f" until {relationship.resume_on.day} {relationship.resume_on:%B %Y}"
            if relationship.resume_on
            else ""
        )
        return NextStep(
            f"Paused{until}: no reminders until it resumes.",
            url=reverse("mentorships:relationship_resume", args=[relationship.pk]),
            yours=True,
        )
    propose = reverse("mentorships:session_propose", args=[relationship.pk])
    leads = writes_agendas(viewer)
    lead_members = [m for m in members if writes_agendas(m) and m.pk != viewer.pk]
    lead_names = _names(lead_members)
    others = _names([m for m in members if m.pk != viewer.pk])
    path = {s.pk: reverse("mentorships:session", args=[s.pk]) for s in sessions}

    proposed = sorted(
        (s for s in sessions if s.status == SessionStatus.PROPOSED), key=lambda s: s.pk
    )
    for session in proposed:
        if session.proposed_by_id != viewer.participant.user_id:
            proposer = next(
                (m for m in members if m.participant.user_id == session.proposed_by_id), None
            )
            who = proposer.participant.user.display_name if proposer else "Your partner"
            return NextStep(f"Pick a time for the session {who} proposed", path[session.pk], True)
    scheduled = sorted(
        (s for s in sessions if s.status == SessionStatus.SCHEDULED and s.starts_at),
        key=lambda s: s.starts_at or now,
    )
    started = [s for s in scheduled if s.starts_at and s.starts_at <= now]
    if started:
        session = started[0]
        assert session.starts_at is not None
        day = day_name(session.starts_at, zone, now)
        return NextStep(f"Did the session of {day} take place? Say so", path[session.pk], True)
    if proposed:
        session = proposed[0]
        if leads and not _sent(session):
            return NextStep(
                "Write the agenda for the session you proposed, and send it",
                reverse("mentorships:agenda", args=[session.pk]),
                True,
            )
        return NextStep(f"Waiting for {others} to pick one of the times you proposed")
    if scheduled:
        session = scheduled[0]
        assert session.starts_at is not None
        day = day_name(session.starts_at, zone, now)
        if not _sent(session):
            if leads:
                return NextStep(
                    f"Send the agenda for {day}",
                    reverse("mentorships:agenda", args=[session.pk]),
                    True,
                )
            return NextStep(f"Next session: {day}. {lead_names} sends the agenda before it.")
        if leads:
            return NextStep(f"All set for {day}: your agenda is sent.", path[session.pk])
        return NextStep(f"Read the agenda for {day}", path[session.pk], True)
    held = [s for s in sessions if s.status == SessionStatus.HELD]
    if leads:
        text = "Schedule your next session" if held else "Schedule your first session"
        return NextStep(text, propose, True)
    last = max(
        (s.ends_at for s in held if s.ends_at is not None),
        default=datetime.datetime.combine(
            relationship.started_on, datetime.time(), tzinfo=datetime.UTC
        ),
    )
    quiet_days = (now - last).days
    if quiet_days >= relationship.program.mentor_prompt_after_days:
        return NextStep(
            f"No session planned for {quiet_days} days: a friendly note to {lead_names} helps, "
            "or propose a time yourself",
            propose,
            True,
        )
    return NextStep(f"{lead_names} leads: expect them to propose a time.")


def reflection_waiting_for(
    *,
    latest_held: Session | None,
    reflected: bool,
    relationship: Relationship,
    now: datetime.datetime,
    zone: zoneinfo.ZoneInfo,
) -> NextStep | None:
    """A short prompt beside the next step: the viewer has not reflected on the latest session
    held. None in a paused or concluded relationship (they send no prompts)."""
    if latest_held is None or reflected or latest_held.starts_at is None:
        return None
    if relationship.status != RelationshipStatus.ACTIVE:
        return None
    day = day_name(latest_held.starts_at, zone, now)
    which = "today's session" if day == "today" else f"the session of {day}"
    url = reverse("mentorships:session", args=[latest_held.pk]) + "#reflection"
    return NextStep(f"Write your reflection on {which}", url, True)


def goal_step_for(
    *,
    viewer: RelationshipMember,
    relationship: Relationship,
    goal_tasks: Sequence[tuple[int, int]],
) -> NextStep | None:
    """The goal prompt for `viewer`, from their own goals as (goal id, task count) pairs in
    order: "Set your first goal", then "Add a task to your goal" for the first without a task.

    Goal prompts go to the mentee (any mentee of a group, any peer) first, like the session
    prompts; a mentor keeps learning goals unprompted. A paused or concluded relationship
    prompts nobody.
    """
    if relationship.status != RelationshipStatus.ACTIVE or not writes_agendas(viewer):
        return None
    if not goal_tasks:
        return NextStep(
            "Set your first goal", reverse("mentorships:goal_create", args=[relationship.pk]), True
        )
    bare = next((goal_id for goal_id, count in goal_tasks if count == 0), None)
    if bare is not None:
        url = reverse("mentorships:relationship", args=[relationship.pk])
        return NextStep("Add a task to your goal", f"{url}#task-text-{bare}", True)
    return None
