"""The demo's living program: what happened after the match (`make run` loads it after the
people and programs of `tandem.programs.demo`).

Mia Mentee (mentee@example.com) and Marco Mentor (mentor@example.com) met once, with the agenda
sent in time, shared notes and both reflections; their next session is scheduled with its
agenda sent; Mia has a private goal and one shared with Marco; they have written to each other
(Marco has not read Mia's latest message yet). Marco also leads a group in a
group program; the graduate program has a paused and a concluded relationship too.

Every part is guarded by what it creates, so loading the demo again adds nothing twice.
Never imported by production code paths.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import Notification, User
from tandem.mentorships.journal.reflections import reflection_prompts_for
from tandem.mentorships.models import (
    Again,
    Agenda,
    ClosingReflection,
    Goal,
    GoalSharing,
    GoalTask,
    MatchSource,
    Message,
    MessageReadState,
    PrivateNote,
    Reflection,
    Relationship,
    RelationshipMember,
    RelationshipStatus,
    RelationshipStatusChange,
    Session,
    SessionNotes,
    SessionStatus,
)
from tandem.mentorships.services import relationship_create
from tandem.mentorships.sessions.notices import session_path
from tandem.mentorships.sessions.times import format_moment
from tandem.programs.demo import (
    DEMO_TIME_ZONE,
    GUIDELINES,
    create_agenda_templates,
    populate_program,
)
from tandem.programs.models import (
    AgendaMoment,
    AgendaTemplate,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Program,
    ProgramStatus,
)

GROUP_PROGRAM = "New Managers Circle"
ZONE = zoneinfo.ZoneInfo(DEMO_TIME_ZONE)


@dataclass(frozen=True)
class Moment:
    """A session's time: `days` from today (negative: past) at `hour` in the demo's zone."""

    days: int
    hour: int
    minutes: int = 60

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        day = timezone.localdate() + datetime.timedelta(days=self.days)
        start = datetime.datetime.combine(day, datetime.time(self.hour), tzinfo=ZONE)
        return start, start + datetime.timedelta(minutes=self.minutes)


def _template(program: Program, moment: str) -> AgendaTemplate | None:
    return program.agenda_templates.filter(moment=moment).order_by("position").first()


def _session(
    relationship: Relationship,
    *,
    when: Moment,
    status: str,
    by: User,
    place: str,
    agenda_answers: list[str],
    template: AgendaTemplate | None,
    sent_hours_before: int,
) -> Session:
    """A session at `when` with the mentee's agenda, sent `sent_hours_before` its start."""
    starts_at, ends_at = when.bounds()
    due_at = starts_at - datetime.timedelta(hours=relationship.program.agenda_due_hours)
    session = Session.objects.create(
        relationship=relationship,
        status=status,
        starts_at=starts_at,
        ends_at=ends_at,
        place=place,
        proposed_by=by,
        created_by=by,
        agenda_due_at=due_at,
        sequence=1,
    )
    prompts = list(template.prompts) if template else []
    Agenda.objects.create(
        session=session,
        template=template,
        title=template.title if template else "",
        prompts=prompts,
        answers=agenda_answers[: len(prompts)],
        written_by=by,
        sent_by=by,
        sent_at=starts_at - datetime.timedelta(hours=sent_hours_before),
    )
    return session


def _reflect(session: Session, author: User, answers: list[str], *, shared: bool) -> None:
    prompts = reflection_prompts_for(session.relationship.program)
    assert session.ends_at is not None
    written = session.ends_at + datetime.timedelta(hours=3)
    Reflection.objects.create(
        session=session,
        author=author,
        prompts=prompts,
        answers=(answers + [""] * len(prompts))[: len(prompts)],
        shared=shared,
        first_shared_at=written if shared else None,
        written_at=written,
        updated_at=written,
    )


def _news(held: Session, upcoming: Session, mia: User, marco: User) -> None:
    """What each of them was told about their two sessions, as the services say it."""
    assert upcoming.starts_at is not None
    assert held.ends_at is not None
    agenda = upcoming.agenda
    assert agenda.sent_at is not None
    when = format_moment(upcoming.starts_at, ZONE)
    read = {"read_at": agenda.sent_at + datetime.timedelta(hours=1)}
    Notification.objects.bulk_create(
        [
            Notification(
                user=marco,
                kind="reflection_shared",
                text=f"{mia.display_name} shared their reflection on a session with you.",
                url=session_path(held),
                created_at=held.ends_at + datetime.timedelta(hours=3),
                **read,
            ),
            Notification(
                user=mia,
                kind="session_scheduled",
                text=f"{marco.display_name} picked a time: {when}.",
                url=session_path(upcoming),
                created_at=agenda.sent_at - datetime.timedelta(hours=2),
            ),
            Notification(
                user=marco,
                kind="agenda_received",
                text=f"{mia.display_name} sent the agenda for {when}. Read it before you meet.",
                url=session_path(upcoming),
                created_at=agenda.sent_at,
            ),
        ]
    )


def _goal(
    member: RelationshipMember,
    *,
    title: str,
    why: str,
    criteria: str,
    target_in_days: int,
    sharing: str,
    tasks: list[tuple[str, bool]],
) -> Goal:
    goal = Goal.objects.create(
        relationship=member.relationship,
        owner=member,
        title=title,
        why=why,
        success_criteria=criteria,
        target_date=timezone.localdate() + datetime.timedelta(days=target_in_days),
        sharing=sharing,
    )
    now = timezone.now()
    GoalTask.objects.bulk_create(
        GoalTask(goal=goal, text=text, position=i, done_at=now if done else None)
        for i, (text, done) in enumerate(tasks)
    )
    return goal


def demo_match(program: Program, mentor: Participant, mentees: list[Participant]) -> Relationship:
    """A relationship made as a coordinator's manual match would, without telling anyone:
    the demo's people have no inboxes."""
    return relationship_create(
        program=program,
        mentor=mentor,
        mentees=mentees,
        source=MatchSource.MANUAL,
        created_by=None,
        notify=False,
    )


def backdate(relationship: Relationship, weeks_ago: int) -> None:
    relationship.started_on = timezone.localdate() - datetime.timedelta(weeks=weeks_ago)
    relationship.intended_end_on = relationship.started_on + datetime.timedelta(
        weeks=relationship.program.duration_weeks
    )
    relationship.save(update_fields=["started_on", "intended_end_on"])


def mia_and_marco(program: Program) -> Relationship | None:
    """The demo pair's relationship, with one session held and the next one scheduled."""
    mentee = Participant.objects.get(program=program, user__email="mentee@example.com")
    mentor = Participant.objects.get(program=program, user__email="mentor@example.com")
    if mentee.memberships.exists():
        return None
    relationship = demo_match(program, mentor, [mentee])
    backdate(relationship, weeks_ago=3)
    mia, marco = mentee.user, mentor.user
    held = _session(
        relationship,
        when=Moment(days=-8, hour=10),
        status=SessionStatus.HELD,
        by=mia,
        place="Video call: https://meet.example.com/mia-marco",
        template=_template(program, AgendaMoment.FIRST),
        sent_hours_before=40,
        agenda_answers=[
            "I joined the data team in September after a statistics degree.",
            "Whether to aim for analytics engineering or stay closer to research.",
            "Speaking up in planning meetings, and how to get good feedback.",
            "Every two weeks, 45 minutes, video is fine.",
        ],
    )
    assert held.ends_at is not None
    SessionNotes.objects.create(
        session=held,
        text="We agreed to meet every two weeks.\n"
        "Marco suggested shadowing the analytics engineers' planning on 14 December.\n"
        "Mia will draft two goals before next time.",
        version=2,
        updated_by=marco,
        updated_at=held.ends_at,
    )
    PrivateNote.objects.create(
        session=held, author=mia, text="Ask Marco how he chose his first team."
    )
    _reflect(
        held,
        mia,
        [
            "That asking for the context behind a decision is not the same as challenging it.",
            "Write my two goals and book the shadowing session.",
            "The goal about planning meetings.",
            "'Nobody expects you to know the answer in your first year.'",
        ],
        shared=True,
    )
    _reflect(
        held,
        marco,
        [
            "How new graduates see our planning rituals: more opaque than I thought.",
            "Send Mia the planning calendar and introduce her to Priya.",
        ],
        shared=False,
    )
    upcoming = _session(
        relationship,
        when=Moment(days=6, hour=14, minutes=45),
        status=SessionStatus.SCHEDULED,
        by=mia,
        place="Meeting room 3.2, Northwind House",
        template=_template(program, AgendaMoment.SECOND)
        or program.agenda_templates.order_by("position")[1:2].first(),
        sent_hours_before=60,
        agenda_answers=[
            "My two goals (one I'll share with you), and a first task for each.",
            "How you prepare for a planning meeting you expect to disagree in.",
            "Feedback on my first shadowing notes.",
        ],
    )
    _news(held, upcoming, mia, marco)
    member = relationship.members.get(participant=mentee)
    _goal(
        member,
        title="Speak up at least once in every planning meeting",
        why="I notice problems early and then say nothing; I want the team to hear them.",
        criteria="Over four planning meetings I raised a point in each, and one was acted on.",
        target_in_days=60,
        sharing=GoalSharing.PARTNERS,
        tasks=[
            ("Shadow the analytics engineers' planning", False),
            ("Write down one question before each meeting", True),
            ("Ask my lead for feedback after the third meeting", False),
        ],
    )
    _goal(
        member,
        title="Decide between analytics engineering and research by March",
        why="I keep putting the choice off and it shapes which courses I take.",
        criteria="I have talked to two people in each track and written down my choice.",
        target_in_days=110,
        sharing=GoalSharing.PRIVATE,
        tasks=[
            ("Talk to two analytics engineers", True),
            ("Talk to two researchers", False),
            ("Write one page on what I want my work to feel like", False),
        ],
    )
    _messages(relationship, member, relationship.members.get(participant=mentor))
    return relationship


def _messages(
    relationship: Relationship, mia: RelationshipMember, marco: RelationshipMember
) -> None:
    """A few messages since the first session; Mia read them all, Marco all but her latest."""
    now = timezone.now()
    written = [
        (mia, 7, "Thanks for last week's session! I've started on my two goals."),
        (
            marco,
            6,
            "Great. Here's the planning calendar I mentioned:\n"
            "https://intranet.example.com/analytics/planning\n"
            "Priya says you're welcome to join on the 14th.",
        ),
        (mia, 1, "I'll be there. I'll send the agenda for our next session today."),
    ]
    messages = [
        Message.objects.create(
            relationship=relationship,
            author=author,
            body=body,
            created_at=now - datetime.timedelta(days=days),
        )
        for author, days, body in written
    ]
    MessageReadState.objects.create(member=mia, last_read_message=messages[-1])
    MessageReadState.objects.create(member=marco, last_read_message=messages[-2])


def demo_pair(program: Program, mentor: int, mentee: int) -> tuple[Participant, Participant]:
    """Two generated participants by their number (mentor00003@…, mentee00031@…)."""
    found = Participant.objects.select_related("user")
    return (
        found.get(program=program, user__email=f"mentor{mentor:05d}@northwind.example"),
        found.get(program=program, user__email=f"mentee{mentee:05d}@northwind.example"),
    )


def paused_and_concluded(program: Program) -> None:
    """Two of the generated pairs: one paused for a while, one concluded last month."""
    # Numbers within populate_program's ranges: mentors are 1..30, mentees 31..90.
    mentor, mentee = demo_pair(program, 3, 31)
    if not mentee.memberships.exists():
        paused = demo_match(program, mentor, [mentee])
        backdate(paused, weeks_ago=9)
        _session(
            paused,
            when=Moment(days=-50, hour=9),
            status=SessionStatus.HELD,
            by=mentee.user,
            place="Video call",
            template=_template(program, AgendaMoment.FIRST),
            sent_hours_before=30,
            agenda_answers=["Introductions."],
        )
        _change(
            paused,
            RelationshipStatus.PAUSED,
            by=mentee.user,
            days_ago=20,
            reason="A busy quarter at work: back in the new year.",
        )
    mentor, mentee = demo_pair(program, 4, 32)
    if not mentee.memberships.exists():
        concluded = demo_match(program, mentor, [mentee])
        backdate(concluded, weeks_ago=program.duration_weeks + 4)
        for days in (-170, -150, -120, -90, -60, -35):
            _session(
                concluded,
                when=Moment(days=days, hour=16),
                status=SessionStatus.HELD,
                by=mentee.user,
                place="Video call",
                template=_template(program, AgendaMoment.ANY),
                sent_hours_before=26,
                agenda_answers=["Progress on my goals."],
            )
        _change(
            concluded,
            RelationshipStatus.CONCLUDED,
            by=mentee.user,
            days_ago=30,
            reason="We reached what we set out to do. Thank you!",
        )
        ClosingReflection.objects.create(
            relationship=concluded,
            author=mentee.user,
            went_well="Every session started from my agenda, so we never lost time.",
            learned="To ask for feedback before I feel ready.",
            again=Again.YES,
            shared=True,
            written_at=timezone.now() - datetime.timedelta(days=29),
        )


def _change(
    relationship: Relationship, status: str, *, by: User, days_ago: int, reason: str
) -> None:
    """The status change, with its row in the history, as the member made it."""
    at = timezone.now() - datetime.timedelta(days=days_ago)
    RelationshipStatusChange.objects.create(
        relationship=relationship,
        from_status=relationship.status,
        to_status=status,
        changed_by=by,
        reason=reason,
        created_at=at,
    )
    relationship.status = status
    relationship.concluded_at = at if status == RelationshipStatus.CONCLUDED else None
    relationship.save(update_fields=["status", "concluded_at"])


def group_program(organization_id: int, coordinator: User, password_hash: str) -> Program:
    """A group program where Marco Mentor leads three new managers."""
    program, created = Program.objects.get_or_create(
        organization_id=organization_id,
        name=GROUP_PROGRAM,
        defaults={
            "description": "Small groups of new managers with one experienced manager each.",
            "format": "group",
            "duration_weeks": 16,
            "objectives": "New managers have a peer group and a mentor for their first months.",
            "guidelines": GUIDELINES,
            "status": ProgramStatus.OPEN,
        },
    )
    program.coordinators.add(coordinator)
    if not created:
        return program
    create_agenda_templates(program)
    populate_program(
        program=program,
        mentors=2,
        mentees=6,
        seed=2028,
        email_domain="northwind.example",
        password_hash=password_hash,
        prefix="circle-",
    )
    marco = User.objects.get(email="mentor@example.com")
    now = timezone.now()
    mentor = Participant.objects.create(
        program=program,
        user=marco,
        role=ParticipantRole.MENTOR,
        status=ParticipantStatus.JOINED,
        capacity=4,
        guidelines_accepted_at=now,
        joined_at=now,
    )
    mentees = list(
        program.participants.filter(role=ParticipantRole.MENTEE).order_by("user__email")[:3]
    )
    group = demo_match(program, mentor, mentees)
    backdate(group, weeks_ago=2)
    _session(
        group,
        when=Moment(days=-5, hour=12),
        status=SessionStatus.HELD,
        by=mentees[0].user,
        place="Video call",
        template=_template(program, AgendaMoment.FIRST),
        sent_hours_before=28,
        agenda_answers=["Who we are and what a first-time manager finds hardest."],
    )
    return program


@transaction.atomic
def load_workspace_demo(program: Program, *, password_hash: str) -> None:
    """What happened after the match in the demo programs. Safe to run again."""
    mia_and_marco(program)
    paused_and_concluded(program)
    coordinator = program.coordinators.order_by("pk").first()
    assert coordinator is not None
    group_program(program.organization_id, coordinator, password_hash)
