"""Relationships and sessions for the tests: Mia and Marco, a second pair of the same program,
and one of each object the session pages show (the access matrix walks them)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from tandem.accounts.models import User
from tandem.core.testing import Personas
from tandem.matching.tests.people import add_mentor, add_person
from tandem.mentorships.models import (
    Agenda,
    MatchSource,
    MemberRole,
    Relationship,
    RelationshipMember,
    Session,
    SessionOption,
)
from tandem.mentorships.sessions.times import TimeOption
from tandem.programs.models import AgendaMoment, AgendaTemplate, Participant

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def relate(mentee: Participant, mentor: Participant | None, *peers: Participant) -> Relationship:
    today = timezone.localdate()
    relationship = Relationship.objects.create(
        program=mentee.program,
        format=mentee.program.format,
        source=MatchSource.MANUAL,
        started_on=today,
        intended_end_on=today + datetime.timedelta(weeks=26),
    )
    role = MemberRole.MENTEE if mentor is not None else MemberRole.PEER
    members = [RelationshipMember(relationship=relationship, participant=mentee, role=role)]
    members += [
        RelationshipMember(relationship=relationship, participant=p, role=role) for p in peers
    ]
    if mentor is not None:
        members.append(
            RelationshipMember(
                relationship=relationship, participant=mentor, role=MemberRole.MENTOR
            )
        )
    RelationshipMember.objects.bulk_create(members)
    return relationship


def mia_and_marco(p: Personas) -> Relationship:
    return relate(p.mentee_participant, p.mentor_participant)


def another_pair(p: Personas) -> tuple[Relationship, User, User]:
    """Nia and Nico: matched in the same program, strangers to Mia and Marco's relationship."""
    nia = add_person(p.program, "nia@northwind.example", name="Nia Other")
    nico = add_mentor(p.program, "nico@northwind.example", name="Nico Other")
    return relate(nia, nico), nia.user, nico.user


def at(start: datetime.datetime, minutes: int = 60) -> TimeOption:
    return TimeOption(start, start + datetime.timedelta(minutes=minutes))


def times(*starts: datetime.datetime) -> Sequence[TimeOption]:
    return [at(s) for s in starts]


def next_week() -> datetime.datetime:
    return (timezone.now() + 7 * DAY).replace(minute=0, second=0, microsecond=0)


@dataclass
class SessionFixture:
    template: AgendaTemplate
    session: Session
    agenda: Agenda


def make_session_fixture(p: Personas, relationship: Relationship) -> SessionFixture:
    """An agenda template of the program, and a session Mia proposed to Marco (two times next
    week) with her agenda sent: one of each object the session pages show."""
    template = AgendaTemplate.objects.create(
        program=p.program,
        title="First session: getting to know each other",
        moment=AgendaMoment.FIRST,
        prompts=["What brought me to mentoring", "What I hope to learn"],
        position=1,
    )
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=7)
    session = Session.objects.create(
        relationship=relationship,
        place="Room 4",
        proposed_by=p.mentee,
        created_by=p.mentee,
    )
    SessionOption.objects.bulk_create(
        SessionOption(
            session=session,
            starts_at=start + datetime.timedelta(days=d),
            ends_at=start + datetime.timedelta(days=d, minutes=45),
        )
        for d in (0, 1)
    )
    agenda = Agenda.objects.create(
        session=session,
        template=template,
        title=template.title,
        prompts=template.prompts,
        answers=["A friend told me", "How to lead a team"],
        written_by=p.mentee,
        sent_at=timezone.now(),
        sent_by=p.mentee,
    )
    return SessionFixture(template, session, agenda)
