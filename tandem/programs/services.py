"""Writes for programs, questions, pathways and enrolment.

Every function here is a transaction; emails go out after commit through the task worker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User, normalize_email
from tandem.accounts.services import users_void_unverified
from tandem.core.emails import email_after_commit
from tandem.organizations.models import Membership, Organization, Role
from tandem.organizations.services import membership_ensure
from tandem.programs.models import (
    CHOICE_KINDS,
    AgendaTemplate,
    Answer,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Program,
    ProgramStatus,
    Question,
    ReferralPathway,
)
from tandem.programs.questions import AnswerValue

# --- Programs --------------------------------------------------------------------------------


@transaction.atomic
def program_create(*, organization: Organization, created_by: User, **fields: Any) -> Program:
    """Create a draft program; its creator becomes its first coordinator."""
    program = Program(organization=organization, **fields)
    program.full_clean()
    program.save()
    program.coordinators.add(created_by)
    return program


@transaction.atomic
def program_update(*, program: Program, fields: Mapping[str, Any]) -> Program:
    for name, value in fields.items():
        setattr(program, name, value)
    program.full_clean()
    program.save(update_fields=[*fields, "updated_at"])
    return program


class TransitionNotAllowed(ValidationError):
    pass


@transaction.atomic
def program_set_status(*, program: Program, status: str) -> Program:
    """Move a program along draft → open → running → closed (see STATUS_TRANSITIONS)."""
    # Lock the row: two coordinators pressing different buttons must not both win.
    locked = Program.objects.select_for_update().get(pk=program.pk)
    if status not in locked.allowed_transitions:
        raise TransitionNotAllowed(
            f"A {locked.get_status_display().lower()} program cannot become "
            f"{ProgramStatus(status).label.lower()}."
            if status in ProgramStatus.values
            else f"Unknown status {status!r}."
        )
    locked.status = status
    locked.save(update_fields=["status", "updated_at"])
    program.status = status
    return locked


def program_coordinator_candidates(program: Program) -> Iterable[User]:
    return User.objects.filter(
        memberships__organization=program.organization,
        memberships__role__in=[Role.ADMIN, Role.COORDINATOR],
    ).order_by("email")


@transaction.atomic
def program_add_coordinator(*, program: Program, user: User) -> None:
    if not Membership.objects.filter(
        organization=program.organization, user=user, role__in=[Role.ADMIN, Role.COORDINATOR]
    ).exists():
        raise ValidationError(
            {"user": "Only coordinators of this organization can coordinate its programs."}
        )
    program.coordinators.add(user)


@transaction.atomic
def program_remove_coordinator(*, program: Program, user: User) -> None:
    if program.coordinators.count() <= 1 and program.coordinators.filter(pk=user.pk).exists():
        raise ValidationError("A program needs at least one coordinator.")
    program.coordinators.remove(user)


@transaction.atomic
def program_rotate_invite_link(*, program: Program) -> Program:
    from tandem.organizations.models import new_token

    program.invite_token = new_token()
    program.save(update_fields=["invite_token", "updated_at"])
    return program


# --- Questions -------------------------------------------------------------------------------


def _next_position(queryset: Any) -> int:
    return (queryset.aggregate(m=Max("position"))["m"] or 0) + 1


@transaction.atomic
def question_create(*, program: Program, **fields: Any) -> Question:
    question = Question(program=program, position=_next_position(program.questions), **fields)
    question.full_clean()
    question.save()
    return question


def question_change_problems(question: Question, fields: Mapping[str, Any]) -> dict[str, str]:
    """Why a change would invalidate stored answers, field by field (empty if it is safe)."""
    answers = Answer.objects.filter(question=question)
    count = answers.count()
    if count == 0:
        return {}
    problems: dict[str, str] = {}
    people = f"{count} {'person has' if count == 1 else 'people have'} answered this question"
    if "kind" in fields and fields["kind"] != question.kind:
        problems["kind"] = f"Cannot change the type: {people}. Add a new question instead."
    if "slug" in fields and fields["slug"] != question.slug:
        problems["slug"] = (
            f"Cannot change the slug: {people}, and imports and matching rules refer to it."
        )
    if question.kind in CHOICE_KINDS and "choices" in fields:
        removed = set(question.choices) - set(fields["choices"])
        used = []
        for choice in sorted(removed):
            n = sum(
                1
                for value in answers.values_list("value", flat=True)
                if value == choice or (isinstance(value, list) and choice in value)
            )
            if n:
                used.append(f"{choice!r} ({n})")
        if used:
            problems["choices"] = (
                "Cannot remove choices that people chose: "
                + ", ".join(used)
                + ". Keep them, or add the new wording as another choice."
            )
    return problems


@transaction.atomic
def question_update(*, question: Question, fields: Mapping[str, Any]) -> Question:
    """Change a question, refusing any change that would make stored answers invalid."""
    Question.objects.select_for_update().filter(pk=question.pk).get()
    problems = question_change_problems(question, fields)
    if problems:
        raise ValidationError(problems)
    for name, value in fields.items():
        setattr(question, name, value)
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def question_delete(*, question: Question) -> None:
    count = question.answers.count()
    if count:
        raise ValidationError(
            f"{count} {'person has' if count == 1 else 'people have'} answered “{question.label}”; "
            "deleting it would lose their answers."
        )
    question.delete()


@transaction.atomic
def question_move(*, question: Question, offset: int) -> None:
    """Move a question up (-1) or down (+1) in the form."""
    _swap_positions(list(question.program.questions.all()), question, offset)


def _swap_positions(items: list[Any], item: Any, offset: int) -> None:
    index = next(i for i, x in enumerate(items) if x.pk == item.pk)
    target = index + offset
    if not 0 <= target < len(items):
        return
    items[index], items[target] = items[target], items[index]
    for position, each in enumerate(items, start=1):
        if each.position != position:
            each.position = position
            each.save(update_fields=["position"])


# --- Referral pathways -----------------------------------------------------------------------


@transaction.atomic
def pathway_create(*, program: Program, **fields: Any) -> ReferralPathway:
    pathway = ReferralPathway(program=program, position=_next_position(program.pathways), **fields)
    pathway.full_clean()
    pathway.save()
    return pathway


@transaction.atomic
def pathway_update(*, pathway: ReferralPathway, fields: Mapping[str, Any]) -> ReferralPathway:
    for name, value in fields.items():
        setattr(pathway, name, value)
    pathway.full_clean()
    pathway.save()
    return pathway


@transaction.atomic
def pathway_delete(*, pathway: ReferralPathway) -> None:
    pathway.delete()


@transaction.atomic
def pathway_move(*, pathway: ReferralPathway, offset: int) -> None:
    _swap_positions(list(pathway.program.pathways.all()), pathway, offset)


# --- Agenda templates ------------------------------------------------------------------------


def _check_prompts(prompts: list[str]) -> None:
    if not prompts or not all(isinstance(p, str) and p.strip() for p in prompts):
        raise ValidationError({"prompts": "Write at least one prompt, one per line."})


@transaction.atomic
def agenda_template_create(
    *, program: Program, title: str, moment: str, prompts: list[str]
) -> AgendaTemplate:
    _check_prompts(prompts)
    template = AgendaTemplate(
        program=program,
        title=title,
        moment=moment,
        prompts=prompts,
        position=_next_position(program.agenda_templates),
    )
    template.full_clean()
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:  # a double-submitted form, or a title taken meanwhile
        raise ValidationError({"title": "The program has a template with this title."}) from None
    return template


@transaction.atomic
def agenda_template_update(
    *, template: AgendaTemplate, title: str, moment: str, prompts: list[str]
) -> AgendaTemplate:
    """Change a template; agendas written from it keep the prompts they were written with."""
    _check_prompts(prompts)
    template.title, template.moment, template.prompts = title, moment, prompts
    template.full_clean()
    try:
        with transaction.atomic():
            template.save(update_fields=["title", "moment", "prompts", "updated_at"])
    except IntegrityError:
        raise ValidationError({"title": "The program has a template with this title."}) from None
    return template


@transaction.atomic
def agenda_template_delete(*, template: AgendaTemplate) -> None:
    template.delete()


@transaction.atomic
def agenda_template_move(*, template: AgendaTemplate, offset: int) -> None:
    _swap_positions(list(template.program.agenda_templates.all()), template, offset)


# --- Enrolment -------------------------------------------------------------------------------


class EnrolmentRefused(Exception):
    """Why a person cannot join; the message is shown to them as it is."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def enrolment_check(*, program: Program, user: User) -> Participant | None:
    """Raise EnrolmentRefused if `user` may not join now; return a pending invitation if any."""
    if not program.is_enrolling:
        raise EnrolmentRefused(
            f"{program.name} is not open for enrolment.", code="program_not_enrolling"
        )
    existing = Participant.objects.filter(program=program, user=user).first()
    if not user.email_verified:
        # Only a proven address may join, or pass the allowed domains (accounts/verification).
        raise EnrolmentRefused(
            f"Confirm your email address {user.email} first: open the link we emailed to it.",
            code="email_not_verified",
        )
    if existing is not None:
        if existing.status == ParticipantStatus.JOINED:
            raise EnrolmentRefused(
                f"You have already joined {program.name}.", code="already_joined"
            )
        if existing.status == ParticipantStatus.WITHDRAWN:
            raise EnrolmentRefused(
                f"You withdrew from {program.name}. To take part again, ask its coordinator.",
                code="withdrawn",
            )
        return existing  # invited: the invitation admits them whatever the link or domain
    if not program.invite_link_open:
        raise EnrolmentRefused(
            f"The invite link for {program.name} is closed.", code="invite_link_closed"
        )
    if not program.email_domain_allowed(user.email):
        domains = ", ".join(program.allowed_domains)
        raise EnrolmentRefused(
            f"{program.name} is open to addresses at {domains} only; you are signed in as "
            f"{user.email}.",
            code="email_domain_not_allowed",
        )
    return None


@transaction.atomic
def participant_join(
    *,
    program: Program,
    user: User,
    role: str,
    answers: Mapping[Question, AnswerValue | None],
    capacity: int | None = None,
) -> Participant:
    """Enrol `user`: guidelines accepted, role chosen, questions answered, in one transaction.

    Safe against a double submit: the second call finds the first's row and is refused.
    """
    pending = enrolment_check(program=program, user=user)
    if role not in program.roles_allowed:
        raise ValidationError({"role": f"{ParticipantRole(role).label} is not a role here."})
    if role in (ParticipantRole.MENTOR, ParticipantRole.BOTH):
        capacity = program.default_mentor_capacity if capacity is None else capacity
    else:
        capacity = None
    now = timezone.now()
    fields = {
        "role": role,
        "status": ParticipantStatus.JOINED,
        "capacity": capacity,
        "guidelines_accepted_at": now,
        "joined_at": now,
    }
    if pending is not None:
        # Only the invited row moves; a concurrent join already moved it and this one is refused.
        moved = Participant.objects.filter(pk=pending.pk, status=ParticipantStatus.INVITED).update(
            **fields, updated_at=now
        )
        if not moved:
            raise EnrolmentRefused(
                f"You have already joined {program.name}.", code="already_joined"
            )
        participant = Participant.objects.get(pk=pending.pk)
    else:
        try:
            with transaction.atomic():
                participant = Participant.objects.create(program=program, user=user, **fields)
        except IntegrityError:
            raise EnrolmentRefused(
                f"You have already joined {program.name}.", code="already_joined"
            ) from None
    answers_save(participant=participant, answers=answers)
    # Taking part makes a person a member of the organization (never lowers a higher role).
    membership_ensure(organization=program.organization, user=user)
    return participant


def answers_save(
    *, participant: Participant, answers: Mapping[Question, AnswerValue | None]
) -> None:
    """Store answers (a None answer deletes the stored one). Caller holds the transaction."""
    blank = [q.pk for q, v in answers.items() if v is None]
    if blank:
        Answer.objects.filter(participant=participant, question_id__in=blank).delete()
    existing = {a.question_id: a for a in participant.answers.all()}
    to_create, to_update = [], []
    for question, value in answers.items():
        if value is None:
            continue
        answer = existing.get(question.pk)
        if answer is None:
            to_create.append(Answer(participant=participant, question=question, value=value))
        elif answer.value != value:
            answer.value = value
            to_update.append(answer)
    Answer.objects.bulk_create(to_create)
    if to_update:
        now = timezone.now()
        for answer in to_update:
            answer.updated_at = now
        Answer.objects.bulk_update(to_update, ["value", "updated_at"])


@transaction.atomic
def participant_update_profile(
    *,
    participant: Participant,
    answers: Mapping[Question, AnswerValue | None],
    capacity: int | None = None,
) -> Participant:
    if participant.is_mentor and capacity is not None:
        participant.capacity = capacity
        participant.save(update_fields=["capacity", "updated_at"])
    answers_save(participant=participant, answers=answers)
    return participant


@transaction.atomic
def participant_withdraw(*, participant: Participant) -> Participant:
    updated = (
        Participant.objects.filter(pk=participant.pk)
        .exclude(status=ParticipantStatus.WITHDRAWN)
        .update(status=ParticipantStatus.WITHDRAWN, withdrawn_at=timezone.now())
    )
    participant.refresh_from_db()
    if not updated:
        raise ValidationError("You have already withdrawn from this program.")
    return participant


def _invitation_email(participant: Participant, inviter: User) -> None:
    program = participant.program
    email_after_commit(
        template="program_invitation",
        to=[participant.user.email],
        context={
            "program_name": program.name,
            "organization_name": program.organization.name,
            "inviter_name": inviter.display_name,
            "role": participant.get_role_display().lower(),
            "description": program.description,
            "join_path": reverse("programs:join_invitation", args=[participant.invitation_token]),
        },
    )


@transaction.atomic
def participants_invite(
    *, program: Program, emails: Iterable[str], role: str, invited_by: User
) -> tuple[list[Participant], list[str]]:
    """Invite people by email. Returns (invited now, addresses skipped as already in).

    Someone who withdrew is invited again: that is how a coordinator takes them back.
    """
    if role not in program.roles_allowed:
        raise ValidationError({"role": f"{ParticipantRole(role).label} is not a role here."})
    addresses = list(dict.fromkeys(normalize_email(e) for e in emails if e.strip()))
    users = user_get_or_create_many(addresses)
    existing = {
        p.user.email: p
        for p in Participant.objects.filter(
            program=program, user__in=users.values()
        ).select_related("user", "program__organization")
    }
    now = timezone.now()
    capacity = program.default_mentor_capacity if role != ParticipantRole.MENTEE else None
    invited = []
    for address in addresses:
        participant = existing.get(address)
        if participant is None:
            participant = Participant.objects.create(
                program=program,
                user=users[address],
                role=role,
                status=ParticipantStatus.INVITED,
                capacity=capacity,
                invited_at=now,
            )
        elif participant.status == ParticipantStatus.WITHDRAWN:
            participant.status = ParticipantStatus.INVITED
            participant.role, participant.capacity = role, capacity
            participant.withdrawn_at, participant.invited_at = None, now
            fields = ["status", "role", "capacity", "withdrawn_at", "invited_at", "updated_at"]
            participant.save(update_fields=fields)
        else:
            continue
        _invitation_email(participant, invited_by)
        invited.append(participant)
    taken = {p.user.email for p in invited}
    return invited, [a for a in addresses if a not in taken]


def user_get_or_create_many(
    emails: Iterable[str], names: Mapping[str, str] | None = None
) -> dict[str, User]:
    """Users for these (normalized) addresses, creating the missing ones without a password.

    A user created here signs in for the first time through their invitation link. An
    unverified account found here loses the password its sign-up set: the address was never
    proven, and only the invitation link (or a password reset) lets its owner in.
    """
    wanted = list(dict.fromkeys(emails))
    found = {u.email: u for u in User.objects.filter(email__in=wanted)}
    users_void_unverified(found.values())
    missing = [e for e in wanted if e not in found]
    if missing:
        new = []
        for email in missing:
            user = User(email=email, full_name=(names or {}).get(email, ""))
            user.set_unusable_password()
            new.append(user)
        # A concurrent import may create the same people: skip those rows, then read them back.
        User.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        found.update({u.email: u for u in User.objects.filter(email__in=missing)})
    return found


@transaction.atomic
def participants_send_pending_invitations(*, program: Program, invited_by: User) -> int:
    """Email everyone added (e.g. by import) but not yet invited. Returns how many."""
    pending = list(
        Participant.objects.select_for_update()
        .filter(program=program, status=ParticipantStatus.INVITED, invited_at__isnull=True)
        .select_related("user", "program__organization")
    )
    Participant.objects.filter(pk__in=[p.pk for p in pending]).update(invited_at=timezone.now())
    for participant in pending:
        _invitation_email(participant, invited_by)
    return len(pending)
