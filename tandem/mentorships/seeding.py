"""Bulk seeds for performance work (`manage.py seed_workspace`, bench/workspace.py): a busy
workspace, and a program of many relationships whose scheduler sweeps all have work to do.

The workspace program: one mentor in MENTOR_RELATIONSHIPS one-to-one relationships (their home
page lists them all). The first is the busy one, BUSY_SESSIONS sessions and BUSY_MESSAGES
messages over four years, with agendas, shared notes, both reflections of each held session,
and a few hundred notices; the others are a few months old. Each has the same four goals with
tasks. Its participants are generated and answered as in `seed_program`, so that the workspace
shows the partner's answers.
Nothing of it falls in a sweep's window: no agenda is due, the latest session held ended
weeks ago, the latest message is three days old.

The sweep program: `relationships` active one-to-one relationships (no sign-up questions),
each with a scheduled session whose agenda is due and not sent (one reminder, to the mentee),
a session held a day ago that nobody reflected on (a notice to each of the two), and a message
of the mentee's that the mentor has not read (one hourly digest, to the mentor; the mentee has
read the mentor's earlier one). `sweep_work_rearm` puts all of that back before each
measurement, relative to its `now`: the sweeps claim what they send, so a second run would
find nothing.

Every seeded person's password is the demo password; each part is made in one transaction and
found again by its program's name, so seeding twice adds nothing. Never used by the product.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import Notification, User
from tandem.mentorships.journal.reflections import reflection_prompts_for
from tandem.mentorships.models import (
    Agenda,
    Goal,
    GoalSharing,
    GoalTask,
    MatchSource,
    MemberRole,
    Message,
    MessageDigest,
    MessageReadState,
    Reflection,
    ReflectionNotice,
    Relationship,
    RelationshipMember,
    Session,
    SessionNotes,
    SessionOption,
    SessionStatus,
)
from tandem.organizations.models import Membership, Organization, Role
from tandem.programs.demo import (
    DEMO_PASSWORD,
    GUIDELINES,
    create_agenda_templates,
    populate_program,
    user_with_password,
)
from tandem.programs.models import (
    Format,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Program,
    ProgramStatus,
)

WORKSPACE_PROGRAM = "Bench workspace program"
COORDINATOR = "seed-coordinator@example.com"
MENTOR = "bench-mentor@seedville.example"  # in MENTOR_RELATIONSHIPS relationships
BUSY_MENTEE = "bench-mentee01@seedville.example"  # of the busy relationship
QUIET_MENTEE = "bench-mentee02@seedville.example"  # of one of the ten-week-old ones
MENTOR_RELATIONSHIPS = 10
BUSY_SESSIONS = 200
BUSY_MESSAGES = 5000
QUIET_SESSIONS = 10
QUIET_MESSAGES = 250
NOTICES_EACH = 300
# Sweep people live in a few zones: reminders and notices show times in each person's own.
ZONES = ["Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
BATCH = 2000

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(weeks=1)

SENTENCES = [
    "Thanks for today, that helped a lot.",
    "I tried what we discussed in the planning meeting and it went better than expected.",
    "Here is the article I mentioned: https://example.com/articles/feedback-that-lands",
    "Could we move next week's session by an hour?",
    "I wrote down two questions for next time.",
    "My lead asked me to present the quarterly numbers, any advice?",
    "Sounds good. Let's look at it together on Thursday.",
    "I finished the course module and have notes to share.",
]


def sweep_program_name(relationships: int) -> str:
    return f"Bench sweep program ({relationships} relationships)"


def _organization() -> tuple[Organization, User, str]:
    password_hash = make_password(DEMO_PASSWORD)
    organization, _ = Organization.objects.get_or_create(
        slug="seedville", defaults={"name": "Seedville"}
    )
    coordinator = user_with_password(COORDINATOR, "Seed Coordinator", password_hash)
    Membership.objects.get_or_create(
        organization=organization, user=coordinator, defaults={"role": Role.COORDINATOR}
    )
    return organization, coordinator, password_hash


def _program(organization: Organization, coordinator: User, name: str, weeks: int) -> Program:
    program = Program.objects.create(
        organization=organization,
        name=name,
        guidelines=GUIDELINES,
        status=ProgramStatus.RUNNING,
        duration_weeks=weeks,
    )
    program.coordinators.add(coordinator)
    return program


def _relationship(program: Program, started: datetime.date) -> Relationship:
    return Relationship(
        program=program,
        format=Format.ONE_TO_ONE,
        source=MatchSource.MANUAL,
        started_on=started,
        intended_end_on=started + datetime.timedelta(weeks=program.duration_weeks),
    )


# --- The workspace program ------------------------------------------------------------------


@transaction.atomic
def workspace_seed() -> Program:
    """The workspace program, made once; later calls return it as it is."""
    found = Program.objects.filter(name=WORKSPACE_PROGRAM).first()
    if found is not None:
        return found
    organization, coordinator, password_hash = _organization()
    program = _program(organization, coordinator, WORKSPACE_PROGRAM, weeks=260)
    create_agenda_templates(program)
    populate_program(
        program=program,
        mentors=30,
        mentees=60,
        seed=11,
        email_domain="seedville.example",
        password_hash=password_hash,
        prefix="workspace-",
    )
    people = Participant.objects.filter(program=program).select_related("user")
    mentor = people.get(user__email="workspace-mentor00001@seedville.example")
    mentees = list(people.filter(role=ParticipantRole.MENTEE).order_by("user__email"))
    mentees = mentees[:MENTOR_RELATIONSHIPS]
    # Addresses a reader can tell apart in the bench's output.
    User.objects.filter(pk=mentor.user_id).update(email=MENTOR)
    for number, mentee in enumerate(mentees, start=1):
        User.objects.filter(pk=mentee.user_id).update(
            email=f"bench-mentee{number:02d}@seedville.example"
        )
    Participant.objects.filter(pk=mentor.pk).update(capacity=MENTOR_RELATIONSHIPS)

    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    today = timezone.localdate()
    rng = random.Random(11)  # noqa: S311 - seeded bench data, not secrets
    for number, mentee in enumerate(mentees):
        busy = number == 0
        weeks = BUSY_SESSIONS if busy else QUIET_SESSIONS
        relationship = _relationship(program, today - datetime.timedelta(weeks=weeks + 3))
        relationship.save()
        pair = RelationshipMember.objects.bulk_create(
            [
                RelationshipMember(
                    relationship=relationship, participant=mentee, role=MemberRole.MENTEE
                ),
                RelationshipMember(
                    relationship=relationship, participant=mentor, role=MemberRole.MENTOR
                ),
            ]
        )
        sessions = BUSY_SESSIONS if busy else QUIET_SESSIONS
        _sessions(program, relationship, pair, sessions=sessions, now=now)
        messages = BUSY_MESSAGES if busy else QUIET_MESSAGES
        _messages(relationship, pair, count=messages, since=now - weeks * WEEK, now=now, rng=rng)
        _goals(pair)
        if busy:
            _notices([m.participant.user for m in pair], relationship, now=now)
    return program


def _sessions(
    program: Program,
    relationship: Relationship,
    pair: Sequence[RelationshipMember],
    *,
    sessions: int,
    now: datetime.datetime,
) -> None:
    """`sessions` in all: weekly held ones (two of them cancelled) up to fifteen days ago, then
    one scheduled in six days with its agenda sent and one proposed with two times."""
    mentee, mentor = (m.participant.user for m in pair)
    templates = list(program.agenda_templates.order_by("position"))
    past = sessions - 2
    last_held = now - 15 * DAY
    rows = []
    for k in range(past):
        starts = last_held - (past - 1 - k) * WEEK
        cancelled = k in (past // 3, 2 * past // 3)
        rows.append(
            Session(
                relationship=relationship,
                status=SessionStatus.CANCELLED if cancelled else SessionStatus.HELD,
                starts_at=starts,
                ends_at=starts + HOUR,
                place="Video call",
                proposed_by=mentee,
                created_by=mentee,
                cancel_reason="Ill, sorry: next week instead." if cancelled else "",
                agenda_due_at=starts - program.agenda_due_hours * HOUR,
                agenda_reminder_sent_at=None,
                sequence=1,
            )
        )
    upcoming = now + 6 * DAY
    rows.append(
        Session(
            relationship=relationship,
            status=SessionStatus.SCHEDULED,
            starts_at=upcoming,
            ends_at=upcoming + HOUR,
            place="Meeting room 2",
            proposed_by=mentee,
            created_by=mentee,
            agenda_due_at=upcoming - program.agenda_due_hours * HOUR,
            sequence=1,
        )
    )
    rows.append(Session(relationship=relationship, proposed_by=mentor, created_by=mentor))
    stored = Session.objects.bulk_create(rows)
    proposed = stored[-1]
    SessionOption.objects.bulk_create(
        SessionOption(session=proposed, starts_at=t, ends_at=t + HOUR)
        for t in (now + 13 * DAY, now + 14 * DAY)
    )
    timed = [s for s in stored if s.status in (SessionStatus.HELD, SessionStatus.SCHEDULED)]
    agendas = []
    for i, session in enumerate(timed):
        assert session.starts_at is not None
        template = templates[min(i, len(templates) - 1)]
        agendas.append(
            Agenda(
                session=session,
                template=template,
                title=template.title,
                prompts=template.prompts,
                answers=[f"Point {n + 1} for this week." for n in range(len(template.prompts))],
                written_by=mentee,
                sent_by=mentee,
                sent_at=session.starts_at - 30 * HOUR,
            )
        )
    Agenda.objects.bulk_create(agendas)
    held = [s for s in stored if s.status == SessionStatus.HELD]
    SessionNotes.objects.bulk_create(
        SessionNotes(session=s, text="We went through the agenda.", version=1, updated_by=mentor)
        for s in held
    )
    prompts = reflection_prompts_for(program)
    reflections = []
    for session in held:
        assert session.ends_at is not None  # a held session has its time
        for author in (mentee, mentor):
            shared = author == mentee
            reflections.append(
                Reflection(
                    session=session,
                    author=author,
                    prompts=prompts,
                    answers=["A useful hour."] * len(prompts),
                    shared=shared,
                    first_shared_at=session.ends_at if shared else None,
                    written_at=session.ends_at,
                    updated_at=session.ends_at,
                )
            )
    Reflection.objects.bulk_create(reflections)


def _messages(
    relationship: Relationship,
    pair: Sequence[RelationshipMember],
    *,
    count: int,
    since: datetime.datetime,
    now: datetime.datetime,
    rng: random.Random,
) -> None:
    """`count` messages from `since` to three days ago; the mentee read all but the latest
    ten, the mentor all but the latest twenty."""
    until = now - 3 * DAY
    step = (until - since) / count
    stored = Message.objects.bulk_create(
        Message(
            relationship=relationship,
            author=rng.choice(pair),
            body=" ".join(rng.sample(SENTENCES, rng.randint(1, 3))),
            created_at=since + i * step,
        )
        for i in range(count)
    )
    mentee, mentor = pair
    MessageReadState.objects.bulk_create(
        [
            MessageReadState(member=mentee, last_read_message=stored[-11], read_at=until),
            MessageReadState(member=mentor, last_read_message=stored[-21], read_at=until),
        ]
    )


def _goals(pair: Sequence[RelationshipMember]) -> None:
    mentee, mentor = pair
    specs = [
        (mentee, "Speak up in every planning meeting", GoalSharing.PARTNERS),
        (mentee, "Decide on a specialism by spring", GoalSharing.PRIVATE),
        (mentee, "Present the quarterly numbers", GoalSharing.COORDINATOR),
        (mentor, "Give feedback that lands", GoalSharing.PRIVATE),
    ]
    goals = Goal.objects.bulk_create(
        Goal(relationship=owner.relationship, owner=owner, title=title, sharing=sharing)
        for owner, title, sharing in specs
    )
    now = timezone.now()
    GoalTask.objects.bulk_create(
        GoalTask(goal=goal, text=f"Step {n + 1}", position=n, done_at=now if n < 2 else None)
        for goal in goals
        for n in range(4)
    )


def _notices(users: Sequence[User], relationship: Relationship, *, now: datetime.datetime) -> None:
    """NOTICES_EACH read notices each over the years, and five unread ones."""
    url = f"/relationships/{relationship.pk}/"
    Notification.objects.bulk_create(
        Notification(
            user=user,
            kind="session_scheduled",
            text="A session was scheduled.",
            url=url,
            created_at=now - n * 5 * DAY,
            read_at=None if n < 5 else now - n * 5 * DAY + HOUR,
        )
        for user in users
        for n in range(NOTICES_EACH + 5)
    )


# --- The sweep program ----------------------------------------------------------------------


@dataclass(frozen=True)
class SweepWork:
    """What the three sweeps owe the sweep program right after `sweep_work_rearm`."""

    agenda_reminders: int  # sessions reminded about (one mentee each)
    reflection_notices: int
    message_digests: int


def sweep_work(relationships: int) -> SweepWork:
    return SweepWork(relationships, 2 * relationships, relationships)


@transaction.atomic
def sweep_seed(relationships: int) -> Program:
    """The sweep program of `relationships` relationships, made once."""
    name = sweep_program_name(relationships)
    found = Program.objects.filter(name=name).first()
    if found is not None:
        return found
    organization, coordinator, password_hash = _organization()
    program = _program(organization, coordinator, name, weeks=26)
    now = timezone.now()
    for start in range(0, relationships, BATCH):
        _sweep_batch(program, range(start, min(start + BATCH, relationships)), password_hash, now)
    sweep_work_rearm(program, now=now)
    return program


def _sweep_batch(
    program: Program, numbers: range, password_hash: str, now: datetime.datetime
) -> None:
    prefix = f"sweep{program.pk}"
    users = User.objects.bulk_create(
        User(
            email=f"{prefix}-{role}{i + 1:05d}@seedville.example",
            full_name=f"{role.title()} {i + 1}",
            password=password_hash,
            email_verified_at=now,
            time_zone=ZONES[i % len(ZONES)],
        )
        for i in numbers
        for role in ("mentee", "mentor")
    )
    participants = Participant.objects.bulk_create(
        Participant(
            program=program,
            user=user,
            role=ParticipantRole.MENTEE if k % 2 == 0 else ParticipantRole.MENTOR,
            status=ParticipantStatus.JOINED,
            capacity=None if k % 2 == 0 else 1,
            guidelines_accepted_at=now,
            joined_at=now,
        )
        for k, user in enumerate(users)
    )
    started = timezone.localdate() - 4 * WEEK
    relationships = Relationship.objects.bulk_create(
        _relationship(program, started) for _ in numbers
    )
    members = RelationshipMember.objects.bulk_create(
        RelationshipMember(
            relationship=relationships[k // 2],
            participant=participant,
            role=MemberRole.MENTEE if k % 2 == 0 else MemberRole.MENTOR,
        )
        for k, participant in enumerate(participants)
    )
    # Times are placeholders: sweep_work_rearm sets them relative to the sweep's `now`.
    Session.objects.bulk_create(
        Session(
            relationship=relationship,
            status=status,
            starts_at=now,
            ends_at=now + HOUR,
            place="Video call",
            proposed_by_id=users[2 * k].pk,
            created_by_id=users[2 * k].pk,
            agenda_due_at=now,
            sequence=1,
        )
        for k, relationship in enumerate(relationships)
        for status in (SessionStatus.SCHEDULED, SessionStatus.HELD)
    )
    # Per relationship the mentor's message, then the mentee's reply (members alternate
    # mentee, mentor): the mentee read the first, the mentor has not read the second.
    messages = Message.objects.bulk_create(
        Message(relationship=relationships[r], author=members[2 * r + k], body=SENTENCES[k])
        for r in range(len(relationships))
        for k in (1, 0)
    )
    MessageReadState.objects.bulk_create(
        MessageReadState(member=members[2 * r], last_read_message=messages[2 * r], read_at=now)
        for r in range(len(relationships))
    )


SWEEP_KINDS = ("agenda_due", "reflection_due")


@transaction.atomic
def sweep_work_rearm(program: Program, *, now: datetime.datetime) -> None:
    """Give the sweeps their work again, as of `now`: forget every claim they made (reminded
    sessions, reflection notices, digests, the notices they left) and put the session and
    message times back in each sweep's window."""
    sessions = Session.objects.filter(relationship__program=program)
    ReflectionNotice.objects.filter(session__relationship__program=program).delete()
    MessageDigest.objects.filter(relationship__program=program).delete()
    Notification.objects.filter(
        user__participations__program=program, kind__in=SWEEP_KINDS
    ).delete()
    sessions.filter(status=SessionStatus.SCHEDULED).update(
        starts_at=now + 12 * HOUR,
        ends_at=now + 13 * HOUR,
        agenda_due_at=now - 12 * HOUR,
        agenda_reminder_sent_at=None,
    )
    sessions.filter(status=SessionStatus.HELD).update(
        starts_at=now - 25 * HOUR, ends_at=now - 24 * HOUR
    )
    messages = Message.objects.filter(relationship__program=program)
    messages.filter(author__role=MemberRole.MENTOR).update(created_at=now - 5 * HOUR)
    messages.filter(author__role=MemberRole.MENTEE).update(created_at=now - 3 * HOUR)
