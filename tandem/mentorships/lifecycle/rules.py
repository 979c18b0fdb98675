"""What every change of a relationship's status relies on: its current members, telling them,
and the capacity check on the locked participants' rows."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse

from tandem.accounts.models import User
from tandem.mentorships.models import MemberRole, Relationship, RelationshipMember
from tandem.mentorships.selectors import mentor_open_load
from tandem.mentorships.services import lock_participants, open_membership
from tandem.mentorships.sessions import notices
from tandem.programs.models import ParticipantStatus


def current_members(relationship: Relationship) -> list[RelationshipMember]:
    return list(
        relationship.members.select_related("participant__user")
        .filter(participant__status=ParticipantStatus.JOINED)
        .order_by("role", "pk")
    )


def tell_people(relationship: Relationship, people: list[User], *, kind: str, text: str) -> None:
    url = reverse("mentorships:relationship", args=[relationship.pk])
    notices.tell_and_email(
        people, kind=kind, subject=text, text=text, url=url, action="Open your relationship"
    )


def check_room(relationship: Relationship, *, adding: bool) -> None:
    """Lock the members' participant rows, then refuse if anyone left the program, a mentee is
    in another open relationship, or the mentor has no room (`adding`: the relationship's
    mentees are not counted in the mentor's load yet)."""
    members = list(relationship.members.all())
    locked = lock_participants([m.participant_id for m in members])
    mentor: RelationshipMember | None = None
    for member in members:
        person = locked[member.participant_id]
        if person.status != ParticipantStatus.JOINED:
            raise ValidationError(
                f"{person.user.display_name} is no longer in the program.", code="left_program"
            )
        if member.role == MemberRole.MENTOR:
            mentor = member
        elif adding:
            other = open_membership(person, member.role)
            if other is not None and other.relationship_id != relationship.pk:
                raise ValidationError(
                    f"{person.user.display_name} is in another relationship now.",
                    code="matched_elsewhere",
                )
    if mentor is None:
        return
    person = locked[mentor.participant_id]
    load = mentor_open_load(person)
    mentees = sum(1 for m in members if m.role == MemberRole.MENTEE) if adding else 0
    if load + mentees > (person.capacity or 0):
        raise ValidationError(
            f"{person.user.display_name} has no room: {load} of {person.capacity or 0} places "
            "taken. The coordinator can raise the capacity first.",
            code="over_capacity",
        )
