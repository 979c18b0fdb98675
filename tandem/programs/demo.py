"""Demo and seed data: realistic sign-up questions and answers for a mentoring program.

Used by `manage.py load_demo` (the small demo `make run` loads) and `manage.py seed_program`
(a large program for performance work). Never imported by production code paths.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.organizations.models import Membership, Organization, Role
from tandem.programs.models import (
    AgendaMoment,
    AgendaTemplate,
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

# Demo people have said where they are; a real person is asked on first use of a workspace.
DEMO_TIME_ZONE = "Europe/London"
DEMO_PROGRAM = "Graduate Mentoring 2027"
DEMO_PASSWORD = "tandem-demo"  # noqa: S105 - the published demo password, demo data only

SKILLS = [
    "Leadership",
    "Public speaking",
    "Career planning",
    "Technical skills",
    "Networking",
    "Work-life balance",
    "Project management",
    "Data and analytics",
]
DEPARTMENTS = ["Engineering", "Sales", "Marketing", "Finance", "Operations", "People", "Product"]
FIRST = [
    "Ada",
    "Ben",
    "Chloé",
    "Dev",
    "Elif",
    "Farah",
    "Gus",
    "Hana",
    "Ivan",
    "Jun",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tomás",
    "Uma",
    "Viktor",
    "Wen",
    "Xavier",
    "Yara",
    "Zoe",
]
LAST = [
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Patel",
    "Yilmaz",
    "Haddad",
    "Novak",
    "Sato",
    "Petrov",
    "Kim",
    "Mensah",
    "Fischer",
    "García",
    "Adeyemi",
    "Rahman",
    "Iyer",
    "Walsh",
    "Costa",
    "Nieminen",
    "Alves",
    "Chen",
    "Horvath",
    "Liu",
    "Dubois",
    "Santos",
    "Berg",
]

QUESTIONS: list[dict[str, Any]] = [
    {
        "slug": "goals",
        "label": "What do you want to grow in?",
        "kind": QuestionKind.MULTIPLE_CHOICE,
        "audience": Audience.MENTEES,
        "choices": SKILLS,
    },
    {
        "slug": "expertise",
        "label": "What can you help others with?",
        "kind": QuestionKind.MULTIPLE_CHOICE,
        "audience": Audience.MENTORS,
        "choices": SKILLS,
    },
    {
        "slug": "department",
        "label": "Your department",
        "kind": QuestionKind.SINGLE_CHOICE,
        "choices": DEPARTMENTS,
    },
    {"slug": "languages", "label": "Languages you can meet in", "kind": QuestionKind.LANGUAGES},
    {"slug": "timezone", "label": "Your time zone", "kind": QuestionKind.TIMEZONE},
    {"slug": "years_experience", "label": "Years of work experience", "kind": QuestionKind.NUMBER},
    {
        "slug": "meeting",
        "label": "How would you like to meet?",
        "kind": QuestionKind.SINGLE_CHOICE,
        "choices": ["In person", "Video call", "Either"],
    },
    {
        "slug": "confidence",
        "label": "How confident do you feel in your career right now?",
        "kind": QuestionKind.SCALE,
        "audience": Audience.MENTEES,
    },
    {
        "slug": "about",
        "label": "A few words about you",
        "kind": QuestionKind.LONG_TEXT,
        "required": False,
    },
    {
        "slug": "gender",
        "label": "Gender (private: used only to balance matches)",
        "kind": QuestionKind.SINGLE_CHOICE,
        "required": False,
        "visibility": Visibility.PRIVATE,
        "choices": ["Woman", "Man", "Non-binary", "Prefer not to say"],
    },
]

GUIDELINES = """Mentoring in this program is a relationship between colleagues who want to learn \
from each other. Mentees lead: they propose when to meet and what to talk about.

What mentoring covers: career questions, skills, confidence, navigating the organization.
What it does not cover: therapy, medical or legal advice, performance management, or anything \
your manager or HR must handle. If a conversation goes there, use "Get other support".

Be on time, keep what you hear confidential, and say so kindly if something is not working."""

PATHWAYS = [
    {
        "name": "Employee Assistance Program",
        "contact": "0800 555 0100 (free, 24/7)",
        "description": "Confidential counselling for personal and work worries.",
        "when_to_use": "Stress, grief, money or relationship worries.",
    },
    {
        "name": "People team",
        "contact": "people@northwind.example",
        "description": "Questions about your contract, leave or a workplace conflict.",
        "when_to_use": "Anything about employment, conduct or safety at work.",
    },
    {
        "name": "Crisis line",
        "contact": "Call or text 988",
        "description": "Immediate help if you or someone else is in danger.",
        "when_to_use": "Right now, whenever it is urgent.",
    },
]


AGENDA_TEMPLATES: list[dict[str, Any]] = [
    {
        "title": "First session: getting to know each other",
        "moment": AgendaMoment.FIRST,
        "prompts": [
            "What brought me to mentoring, and what I hope to get from it",
            "A little about my work and where I would like to be in a year",
            "How we will meet: how often, where, and how we keep in touch",
            "What I would like to talk about next time",
        ],
    },
    {
        "title": "Setting goals",
        "moment": AgendaMoment.SECOND,
        "prompts": [
            "One or two goals I want to work on",
            "Why they matter to me",
            "How I will know I got there",
            "Where I would like my mentor's help",
        ],
    },
    {
        "title": "Mid-point review",
        "moment": AgendaMoment.MIDPOINT,
        "prompts": [
            "What has changed since we started",
            "Progress on my goals, and what is stuck",
            "What is working in our sessions, and what we could change",
        ],
    },
    {
        "title": "Wrapping up",
        "moment": AgendaMoment.CLOSING,
        "prompts": [
            "What I learned, and what I will keep doing",
            "What is next for me after the program",
            "How we would like to stay in touch",
        ],
    },
]


# The demo program's own reflection prompts, asked after the two every program asks.
REFLECTION_PROMPTS = (
    "Which of my goals did this session move forward?\n"
    "What was one thing my partner said that I want to remember?"
)
GOAL_PROMPTS = "\n".join(
    [
        "Make it specific: what will be different when you get there?",
        "Why does it matter to you now, and not just to your manager?",
        "How will you know you got there: what could someone see or count?",
        "Pick a date within the program's six months; a first step for this month helps.",
        "Break it into one to six tasks you can tick off.",
    ]
)


def create_agenda_templates(program: Program) -> list[AgendaTemplate]:
    """The four demo agenda templates, in order; loading again adds nothing."""
    templates = []
    for position, spec in enumerate(AGENDA_TEMPLATES, start=1):
        template, _ = AgendaTemplate.objects.get_or_create(
            program=program,
            title=spec["title"],
            defaults={"moment": spec["moment"], "prompts": spec["prompts"], "position": position},
        )
        templates.append(template)
    return templates


def create_questions(program: Program) -> list[Question]:
    questions = []
    for position, spec in enumerate(QUESTIONS, start=1):
        question, _ = Question.objects.get_or_create(
            program=program, slug=spec["slug"], defaults={**spec, "position": position}
        )
        questions.append(question)
    return questions


def random_answers(rng: random.Random, role: str) -> dict[str, Any]:
    """Plausible answers: skewed skills, a home time zone with spread, a few languages."""
    weights = [8, 5, 6, 7, 3, 2, 4, 3]
    picked = set(rng.choices(SKILLS, weights=weights, k=rng.randint(1, 3)))
    tz = rng.choice([-5, -5, 0, 1, 1, 2, 5.5, 8, 10])
    languages = {"en"} | (
        {rng.choice(["fr", "de", "es", "pt", "hi", "zh"])} if rng.random() < 0.4 else set()
    )
    answers: dict[str, Any] = {
        "department": rng.choice(DEPARTMENTS),
        "languages": sorted(languages),
        "timezone": tz,
        "years_experience": rng.randint(8, 25)
        if role == ParticipantRole.MENTOR
        else rng.randint(0, 6),
        "meeting": rng.choice(["In person", "Video call", "Either"]),
    }
    ordered = [s for s in SKILLS if s in picked]
    if role == ParticipantRole.MENTOR:
        answers["expertise"] = ordered
    else:
        answers["goals"] = ordered
        answers["confidence"] = rng.randint(1, 5)
    if rng.random() < 0.6:
        answers["about"] = rng.choice(
            [
                "I like long walks and short meetings.",
                "Curious about how other teams work.",
                "Happy to share what I learned the hard way.",
                "Looking to grow into a lead role.",
            ]
        )
    if rng.random() < 0.8:
        answers["gender"] = rng.choice(["Woman", "Man", "Non-binary", "Prefer not to say"])
    return answers


def person_names(rng: random.Random, count: int) -> Iterator[str]:
    """`count` names, all different up to len(FIRST) * len(LAST) (729), then round again."""
    names = [f"{first} {last}" for first in FIRST for last in LAST]
    rng.shuffle(names)
    for i in range(count):
        yield names[i % len(names)]


@dataclass
class SeedResult:
    program: Program
    participants: int


def user_with_password(email: str, full_name: str, password_hash: str) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={
            "full_name": full_name,
            "password": password_hash,
            "email_verified_at": timezone.now(),
            "time_zone": DEMO_TIME_ZONE,
        },
    )
    if not created and not user.has_usable_password():
        user.password = password_hash
        user.save(update_fields=["password"])
    if user.email_verified_at is None:  # a demo account from before addresses were verified
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    if not user.time_zone:  # a demo account from before people had time zones
        user.time_zone = DEMO_TIME_ZONE
        user.save(update_fields=["time_zone"])
    return user


@transaction.atomic
def populate_program(
    *,
    program: Program,
    mentors: int,
    mentees: int,
    seed: int,
    email_domain: str,
    password_hash: str,
    prefix: str = "",
    batch_size: int = 2000,
) -> int:
    """Add `mentors` + `mentees` joined participants with answers, in bulk. Returns the count."""
    rng = random.Random(seed)
    questions = {q.slug: q for q in create_questions(program)}
    now = timezone.now()
    roles = [ParticipantRole.MENTOR] * mentors + [ParticipantRole.MENTEE] * mentees
    names = list(person_names(rng, len(roles)))
    created = 0
    for start in range(0, len(roles), batch_size):
        chunk = range(start, min(start + batch_size, len(roles)))
        users = [
            User(
                email=f"{prefix}{roles[i]}{i + 1:05d}@{email_domain}",
                full_name=names[i],
                password=password_hash,
                email_verified_at=now,
                time_zone=DEMO_TIME_ZONE,
            )
            for i in chunk
        ]
        User.objects.bulk_create(users, ignore_conflicts=True)
        by_email = {u.email: u for u in User.objects.filter(email__in=[u.email for u in users])}
        participants = [
            Participant(
                program=program,
                user=by_email[users[k].email],
                role=roles[i],
                status=ParticipantStatus.JOINED,
                capacity=rng.choice([1, 1, 2, 3]) if roles[i] == ParticipantRole.MENTOR else None,
                guidelines_accepted_at=now,
                joined_at=now,
            )
            for k, i in enumerate(chunk)
        ]
        Participant.objects.bulk_create(participants, ignore_conflicts=True)
        stored = {
            p.user_id: p
            for p in Participant.objects.filter(program=program, user__in=by_email.values())
        }
        answers = []
        for k, i in enumerate(chunk):
            participant = stored[by_email[users[k].email].pk]
            for slug, value in random_answers(rng, roles[i]).items():
                answers.append(
                    Answer(participant=participant, question=questions[slug], value=value)
                )
        Answer.objects.bulk_create(answers, ignore_conflicts=True)
        created += len(participants)
    return created


@transaction.atomic
def load_demo() -> dict[str, str]:
    """The demo organizations, people and programs. Safe to run again: it adds nothing twice."""
    password_hash = make_password(DEMO_PASSWORD)
    admin = user_with_password("admin@example.com", "Alice Admin", password_hash)
    coordinator = user_with_password("coordinator@example.com", "Cora Coordinator", password_hash)
    mentor = user_with_password("mentor@example.com", "Marco Mentor", password_hash)
    mentee = user_with_password("mentee@example.com", "Mia Mentee", password_hash)
    outsider = user_with_password("outsider@example.org", "Oscar Outsider", password_hash)

    northwind, _ = Organization.objects.get_or_create(
        slug="northwind", defaults={"name": "Northwind"}
    )
    globex, _ = Organization.objects.get_or_create(slug="globex", defaults={"name": "Globex"})
    for org, user, role in [
        (northwind, admin, Role.ADMIN),
        (northwind, coordinator, Role.COORDINATOR),
        (northwind, mentor, Role.MEMBER),
        (northwind, mentee, Role.MEMBER),
        (globex, outsider, Role.ADMIN),
    ]:
        Membership.objects.get_or_create(organization=org, user=user, defaults={"role": role})

    program, created = Program.objects.get_or_create(
        organization=northwind,
        name=DEMO_PROGRAM,
        defaults={
            "description": "Six months of one-to-one mentoring for this year's graduates, "
            "with experienced colleagues from across Northwind.",
            "format": "one_to_one",
            "duration_weeks": 26,
            "objectives": "Graduates feel more confident about their next career step; "
            "70% of graduates matched within two weeks of enrolment closing.",
            "guidelines": GUIDELINES,
            "goal_prompts": GOAL_PROMPTS,
            "status": ProgramStatus.OPEN,
            "allowed_email_domains": "",
            "reflection_prompts": REFLECTION_PROMPTS,
        },
    )
    program.coordinators.add(coordinator)
    create_agenda_templates(program)
    if created:
        for position, spec in enumerate(PATHWAYS, start=1):
            ReferralPathway.objects.create(program=program, position=position, **spec)
        populate_program(
            program=program,
            mentors=30,
            mentees=60,
            seed=2027,
            email_domain="northwind.example",
            password_hash=password_hash,
        )
        rng = random.Random(7)
        questions = {q.slug: q for q in program.questions.all()}
        for user, participant_role in [
            (mentor, ParticipantRole.MENTOR),
            (mentee, ParticipantRole.MENTEE),
        ]:
            participant = Participant.objects.create(
                program=program,
                user=user,
                role=participant_role,
                status=ParticipantStatus.JOINED,
                capacity=2 if participant_role == ParticipantRole.MENTOR else None,
                guidelines_accepted_at=timezone.now(),
                joined_at=timezone.now(),
            )
            Answer.objects.bulk_create(
                Answer(participant=participant, question=questions[slug], value=value)
                for slug, value in random_answers(rng, participant_role).items()
            )

    globex_program, created = Program.objects.get_or_create(
        organization=globex,
        name="Globex Mentoring Circle",
        defaults={
            "description": "Peer mentoring circles for Globex engineers.",
            "format": "peer",
            "guidelines": GUIDELINES,
            "status": ProgramStatus.OPEN,
        },
    )
    globex_program.coordinators.add(outsider)
    if created:
        ReferralPathway.objects.create(
            program=globex_program,
            name="Globex People team",
            contact="people@globex.example",
            position=1,
        )
        create_questions(globex_program)
    return {
        "admin@example.com": "organization admin of Northwind",
        "coordinator@example.com": f"coordinator of {program.name}",
        "mentor@example.com": f"mentor in {program.name}, leads a group in another",
        "mentee@example.com": f"mentee in {program.name}",
        "outsider@example.org": "admin of Globex (another organization)",
    }
