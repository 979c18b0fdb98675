"""Named test personas shared by the whole suite.

Northwind runs "Graduate Mentoring 2027" (coordinated by Cora) and "Sales Mentoring" (coordinated
by Sam, who must not reach Cora's program). Alice administers Northwind; Marco is a mentor and
Mia a mentee in Cora's program; Oscar administers Globex, another organization, and must get 404
for every Northwind object.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from tandem.accounts.models import User
from tandem.organizations.models import Membership, Organization, Role
from tandem.programs.models import (
    Answer,
    Audience,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Program,
    ProgramStatus,
    Question,
    QuestionKind,
    ReferralPathway,
    Visibility,
)

PASSWORD = "persona-password-1"  # noqa: S105 - test fixture
_HASH: list[str] = []


def _password_hash() -> str:
    # Hashing with argon2 once per run, not once per persona, keeps the suite fast.
    if not _HASH:
        _HASH.append(make_password(PASSWORD))
    return _HASH[0]


def make_user(
    email: str, full_name: str = "", *, verified: bool = True, time_zone: str = "UTC"
) -> User:
    """A person with PASSWORD; verified (they proved their address) unless told otherwise; in
    `time_zone` (blank: not asked yet)."""
    return User.objects.create(
        email=email,
        full_name=full_name,
        time_zone=time_zone,
        password=_password_hash(),
        email_verified_at=timezone.now() if verified else None,
    )


def emailed_path(message: Any, prefix: str) -> str:
    """The path of the link in an email's text whose path starts with `prefix`."""
    found = re.search(rf"https?://[^/\s]+({re.escape(prefix)}\S*)", str(message.body))
    assert found is not None, f"no link to {prefix} in: {message.body}"
    return found.group(1)


@dataclass
class Personas:
    northwind: Organization
    globex: Organization
    program: Program
    other_program: Program
    globex_program: Program
    admin: User
    coordinator: User
    other_coordinator: User
    mentor: User
    mentee: User
    outsider: User
    mentor_participant: Participant
    mentee_participant: Participant
    q_goals: Question
    q_department: Question
    q_gender: Question
    pathway: ReferralPathway


def make_personas() -> Personas:
    northwind = Organization.objects.create(name="Northwind", slug="northwind")
    globex = Organization.objects.create(name="Globex", slug="globex")
    admin = make_user("alice@northwind.example", "Alice Admin")
    coordinator = make_user("cora@northwind.example", "Cora Coordinator")
    other_coordinator = make_user("sam@northwind.example", "Sam Sales")
    mentor = make_user("marco@northwind.example", "Marco Mentor")
    mentee = make_user("mia@northwind.example", "Mia Mentee")
    outsider = make_user("oscar@globex.example", "Oscar Outsider")
    Membership.objects.bulk_create(
        [
            Membership(organization=northwind, user=admin, role=Role.ADMIN),
            Membership(organization=northwind, user=coordinator, role=Role.COORDINATOR),
            Membership(organization=northwind, user=other_coordinator, role=Role.COORDINATOR),
            Membership(organization=northwind, user=mentor, role=Role.MEMBER),
            Membership(organization=northwind, user=mentee, role=Role.MEMBER),
            Membership(organization=globex, user=outsider, role=Role.ADMIN),
        ]
    )
    program = Program.objects.create(
        organization=northwind,
        name="Graduate Mentoring 2027",
        guidelines="Be kind. Mentoring is not therapy.",
        status=ProgramStatus.OPEN,
    )
    program.coordinators.add(coordinator)
    other_program = Program.objects.create(
        organization=northwind,
        name="Sales Mentoring",
        guidelines="Sell kindly.",
        status=ProgramStatus.OPEN,
    )
    other_program.coordinators.add(other_coordinator)
    globex_program = Program.objects.create(
        organization=globex,
        name="Globex Circle",
        guidelines="Globex rules.",
        status=ProgramStatus.OPEN,
    )
    globex_program.coordinators.add(outsider)
    q_goals = Question.objects.create(
        program=program,
        slug="goals",
        label="Goals",
        kind=QuestionKind.MULTIPLE_CHOICE,
        audience=Audience.MENTEES,
        choices=["Leadership", "Public speaking"],
        position=1,
    )
    q_department = Question.objects.create(
        program=program,
        slug="department",
        label="Department",
        kind=QuestionKind.SINGLE_CHOICE,
        choices=["Engineering", "Sales"],
        position=2,
    )
    q_gender = Question.objects.create(
        program=program,
        slug="gender",
        label="Gender",
        kind=QuestionKind.SINGLE_CHOICE,
        choices=["Woman", "Man", "Non-binary"],
        visibility=Visibility.PRIVATE,
        required=False,
        position=3,
    )
    now = timezone.now()
    mentor_participant = Participant.objects.create(
        program=program,
        user=mentor,
        role=ParticipantRole.MENTOR,
        capacity=2,
        status=ParticipantStatus.JOINED,
        joined_at=now,
        guidelines_accepted_at=now,
    )
    mentee_participant = Participant.objects.create(
        program=program,
        user=mentee,
        role=ParticipantRole.MENTEE,
        status=ParticipantStatus.JOINED,
        joined_at=now,
        guidelines_accepted_at=now,
    )
    Answer.objects.bulk_create(
        [
            Answer(participant=mentee_participant, question=q_goals, value=["Leadership"]),
            Answer(participant=mentee_participant, question=q_department, value="Sales"),
            Answer(participant=mentee_participant, question=q_gender, value="Woman"),
            Answer(participant=mentor_participant, question=q_department, value="Engineering"),
        ]
    )
    pathway = ReferralPathway.objects.create(
        program=program, name="Employee Assistance", contact="0800 555 0100", position=1
    )
    return Personas(
        northwind=northwind,
        globex=globex,
        program=program,
        other_program=other_program,
        globex_program=globex_program,
        admin=admin,
        coordinator=coordinator,
        other_coordinator=other_coordinator,
        mentor=mentor,
        mentee=mentee,
        outsider=outsider,
        mentor_participant=mentor_participant,
        mentee_participant=mentee_participant,
        q_goals=q_goals,
        q_department=q_department,
        q_gender=q_gender,
        pathway=pathway,
    )


@dataclass
class MatchingFixture:
    criterion: Any
    pair_rule: Any
    run: Any
    draft: Any
    request: Any
    relationship: Any


def make_matching_fixture(p: Personas) -> MatchingFixture:
    """A rule, a pair rule, a finished run with a draft, a self-match request from Mia to
    Marco, and a relationship between them: one of each object the matching pages show."""
    # Imported here: core sits below the apps it builds fixtures for.
    from tandem.matching.models import (
        Criterion,
        DraftMatch,
        MatchingRules,
        MatchRequest,
        MatchRun,
        PairRule,
        RunStatus,
    )
    from tandem.mentorships.models import MatchSource, MemberRole, Relationship, RelationshipMember

    program = p.program
    program.self_matching = True
    program.save(update_fields=["self_matching"])
    rules = MatchingRules.objects.create(program=program)
    criterion = Criterion.objects.create(
        rules=rules,
        name="Same department",
        type="same",
        mentee_attribute="department",
        mentor_attribute="department",
    )
    pair_rule = PairRule.objects.create(
        rules=rules, mentee=p.mentee_participant, mentor=p.mentor_participant, kind="forbidden"
    )
    run = MatchRun.objects.create(program=program, created_by=p.coordinator, status=RunStatus.DONE)
    draft = DraftMatch.objects.create(
        run=run, mentee=p.mentee_participant, mentor=p.mentor_participant, score=0.5, reasons=[]
    )
    request = MatchRequest.objects.create(
        program=program,
        mentee=p.mentee_participant,
        mentor=p.mentor_participant,
        message="Could we talk about leadership?",
    )
    today = timezone.localdate()
    relationship = Relationship.objects.create(
        program=program,
        format=program.format,
        source=MatchSource.MANUAL,
        started_on=today,
        intended_end_on=today,
    )
    RelationshipMember.objects.bulk_create(
        [
            RelationshipMember(
                relationship=relationship, participant=p.mentee_participant, role=MemberRole.MENTEE
            ),
            RelationshipMember(
                relationship=relationship, participant=p.mentor_participant, role=MemberRole.MENTOR
            ),
        ]
    )
    return MatchingFixture(criterion, pair_rule, run, draft, request, relationship)


@dataclass
class GoalFixture:
    goal: Any
    task: Any


def make_goal_fixture(p: Personas, relationship: Any) -> GoalFixture:
    """A goal of Mia's, shared with Marco, with two tasks (one done): one of each object the
    goal pages and actions take."""
    from tandem.mentorships.models import Goal, GoalSharing, GoalTask, RelationshipMember

    owner = RelationshipMember.objects.get(
        relationship=relationship, participant=p.mentee_participant
    )
    goal = Goal.objects.create(
        relationship=relationship,
        owner=owner,
        title="Lead a small project",
        why="I want to know whether leading suits me",
        success_criteria="The project ships and the team would work with me again",
        sharing=GoalSharing.PARTNERS,
    )
    task = GoalTask.objects.create(goal=goal, text="Ask for a project", position=0)
    GoalTask.objects.create(goal=goal, text="Plan it", position=1, done_at=timezone.now())
    return GoalFixture(goal, task)


def run_task_worker() -> None:
    """What `manage.py db_worker --batch` does: run every task that is due now, then stop."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at once, each in its own thread with its own connection (closed after):
    what each returned, or the exception it raised, in the order they finished."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results.append(call())
        except BaseException as error:
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
