"""Reads for program pages and the access helpers every program view fetches through.

Who may see what lives here, once per object type: anything outside a person's reach is a 404,
so that a page never tells an outsider that an object exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Count,
    F,
    IntegerField,
    JSONField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from tandem.accounts.models import User
from tandem.core.pagination import KeysetPage, keyset_page
from tandem.programs.models import (
    AgendaTemplate,
    Answer,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Program,
    Question,
    QuestionKind,
    ReferralPathway,
    answer_value_prefix,
)
from tandem.programs.questions import display_answer


def get_program_for_coordinator(user: User, program_id: int) -> Program:
    """A program `user` coordinates (or administers through its organization), else 404."""
    try:
        return (
            Program.objects.coordinated_by(user).select_related("organization").get(pk=program_id)
        )
    except Program.DoesNotExist:
        raise Http404("No such program.") from None


def get_participation_for(user: User, program_id: int) -> Participant:
    """`user`'s own enrolment in a program, else 404. Withdrawn enrolments are included."""
    try:
        return Participant.objects.select_related("program", "program__organization").get(
            program_id=program_id, user=user
        )
    except Participant.DoesNotExist:
        raise Http404("You are not in this program.") from None


def get_participant_for_coordinator(
    user: User, program_id: int, participant_id: int
) -> Participant:
    program = get_program_for_coordinator(user, program_id)
    try:
        participant = program.participants.select_related("user").get(pk=participant_id)
    except Participant.DoesNotExist:
        raise Http404("No such participant.") from None
    participant.program = program
    return participant


def get_question_for_coordinator(user: User, program_id: int, question_id: int) -> Question:
    program = get_program_for_coordinator(user, program_id)
    try:
        question = program.questions.get(pk=question_id)
    except Question.DoesNotExist:
        raise Http404("No such question.") from None
    question.program = program
    return question


def get_pathway_for_coordinator(user: User, program_id: int, pathway_id: int) -> ReferralPathway:
    program = get_program_for_coordinator(user, program_id)
    try:
        pathway = program.pathways.get(pk=pathway_id)
    except ReferralPathway.DoesNotExist:
        raise Http404("No such pathway.") from None
    pathway.program = program
    return pathway


def get_agenda_template_for_coordinator(
    user: User, program_id: int, template_id: int
) -> AgendaTemplate:
    program = get_program_for_coordinator(user, program_id)
    try:
        template = program.agenda_templates.get(pk=template_id)
    except AgendaTemplate.DoesNotExist:
        raise Http404("No such agenda template.") from None
    template.program = program
    return template


def programs_for_coordinator(user: User) -> QuerySet[Program]:
    """The programs a person runs, each with how many participants joined.

    The count is a correlated subquery of the program row, not a join and GROUP BY: grouped,
    every subquery a caller annotates (the home page's next steps) would be part of the group
    key and run once per participant row.
    """
    joined = (
        Participant.objects.filter(program=OuterRef("pk"), status=ParticipantStatus.JOINED)
        .order_by()
        .values("program")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Program.objects.coordinated_by(user)
        .select_related("organization")
        .annotate(joined_count=Coalesce(Subquery(joined, output_field=IntegerField()), Value(0)))
        .order_by("organization__name", "name")
    )


def participations_for(user: User) -> QuerySet[Participant]:
    return (
        Participant.objects.filter(user=user)
        .exclude(status=ParticipantStatus.WITHDRAWN)
        .select_related("program", "program__organization")
        .order_by("program__name")
    )


@dataclass(frozen=True)
class ProgramCounts:
    """Participants of a program by role and status, from one grouped query."""

    by_role_status: dict[tuple[str, str], int]

    def get(self, role: str, status: str) -> int:
        return self.by_role_status.get((role, status), 0)

    def total(self, status: str | None = None) -> int:
        return sum(n for (_, s), n in self.by_role_status.items() if status in (None, s))

    @property
    def joined(self) -> int:
        return self.total(ParticipantStatus.JOINED)

    def rows(self) -> list[tuple[str, list[int], int]]:
        statuses = ParticipantStatus.values
        return [
            (
                label,
                [self.get(role, s) for s in statuses],
                sum(self.get(role, s) for s in statuses),
            )
            for role, label in ParticipantRole.choices
        ]


def program_counts(program: Program) -> ProgramCounts:
    grouped = (
        Participant.objects.filter(program=program)
        .order_by()
        .values_list("role", "status")
        .annotate(n=Count("id"))
    )
    return ProgramCounts(by_role_status={(r, s): n for r, s, n in grouped})


def participants_not_yet_invited(program: Program) -> QuerySet[Participant]:
    """Added by import but never emailed their invitation."""
    return program.participants.filter(status=ParticipantStatus.INVITED, invited_at__isnull=True)


def filterable_questions(program: Program) -> list[Question]:
    """Single-choice questions: the participants list offers a filter for each."""
    return list(program.questions.filter(kind=QuestionKind.SINGLE_CHOICE))


@dataclass(frozen=True)
class ParticipantFilters:
    search: str = ""
    role: str = ""
    status: str = ""
    answers: tuple[tuple[Question, str], ...] = ()


PARTICIPANT_ORDER = ("user__full_name", "user__email", "pk")


@dataclass(frozen=True)
class ParticipantRow:
    """What the participants list shows of one participant."""

    pk: int
    name: str  # the email when no name is known
    email: str
    role: str  # the label, e.g. "Mentor and mentee"
    status: str  # the label
    capacity: int | None  # None for mentees, who have none


def participants_page(
    program: Program, filters: ParticipantFilters, params: Mapping[str, str]
) -> KeysetPage[ParticipantRow]:
    """One page of a program's participants in name order, filtered; a constant number of queries.

    Keyset pages (`tandem.core.pagination`): with the users' (full_name, email, id) index a page
    deep in a 20,000-person list costs what the first one does.
    """
    scope = Participant.objects.filter(program=program)
    # Only the columns the list shows, as plain rows (no model instances to build).
    participants = scope.annotate(name=F("user__full_name"), email=F("user__email")).values_list(
        "pk", "name", "email", "role", "status", "capacity", named=True
    )
    if filters.search:
        participants = participants.filter(
            Q(user__email__icontains=filters.search) | Q(user__full_name__icontains=filters.search)
        )
    if filters.role:
        participants = participants.filter(role=filters.role)
    if filters.status:
        participants = participants.filter(status=filters.status)
    for question, choice in filters.answers:
        # The prefix condition is what the answer_question_value index is keyed on; the exact
        # comparison after it keeps the filter right for values longer than the prefix.
        chosen = Value(choice, output_field=JSONField())
        matching = Answer.objects.alias(prefix=answer_value_prefix()).filter(
            question=question, prefix=answer_value_prefix(chosen), value=choice
        )
        participants = participants.filter(pk__in=matching.values("participant_id"))
    page = keyset_page(
        participants,
        order=PARTICIPANT_ORDER,
        params=params,
        per_page=settings.PARTICIPANTS_PER_PAGE,
        cursor_scope=scope,
    )
    roles, statuses = dict(ParticipantRole.choices), dict(ParticipantStatus.choices)
    rows = [
        ParticipantRow(
            pk=row.pk,
            name=row.name or row.email,
            email=row.email,
            role=roles[row.role],
            status=statuses[row.status],
            capacity=row.capacity if row.role != ParticipantRole.MENTEE else None,
        )
        for row in page.object_list
    ]
    return KeysetPage(rows, page.count, page.next_cursor, page.previous_cursor)


def answers_for_participant(
    participant: Participant, *, public_only: bool = False
) -> list[tuple[Question, str]]:
    """Every question this participant is asked, with their answer shown as text ("" if none).

    `public_only` leaves out private questions: for pages other participants see.
    """
    answers = {a.question_id: a.value for a in participant.answers.all()}
    return [
        (q, display_answer(q, answers.get(q.pk)))
        for q in participant.program.questions.all()
        if q.asked_of(participant.role) and not (public_only and q.is_private)
    ]


def participant_detail_queryset(program: Program) -> QuerySet[Participant]:
    return program.participants.select_related("user").prefetch_related(
        Prefetch("answers", queryset=Answer.objects.select_related("question"))
    )
