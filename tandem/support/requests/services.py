"""Writing support requests and working them: a participant asks; a coordinator of the program
acknowledges, assigns, replies (pointing to a referral pathway if it helps), resolves with a
private note, and for a conduct report may pause the relationship at once.

Each change is a conditional write on the request's row (a double click changes it once);
every notice and email says that something happened and links to it, never what anyone wrote.
The partner is never told anything.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.core.text import clean_text
from tandem.mentorships.lifecycle.changes import relationship_pause
from tandem.mentorships.models import OPEN_STATUSES, RelationshipMember, RelationshipStatus
from tandem.mentorships.sessions.notices import tell_and_email
from tandem.organizations.models import Membership, Role
from tandem.programs.models import Participant, Program, ReferralPathway
from tandem.support.models import (
    MESSAGE_MAX,
    Category,
    RequestStatus,
    SupportReply,
    SupportRequest,
    Urgency,
)

ABOUT_THE_RELATIONSHIP = (Category.RELATIONSHIP, Category.CONDUCT)


def recipients_for(program: Program) -> list[User]:
    """Who receives the program's requests: its coordinators (still coordinators of its
    organization); with none, the organization's admins."""
    coordinators = list(
        User.objects.filter(
            coordinated_programs=program,
            memberships__organization_id=program.organization_id,
            memberships__role=Role.COORDINATOR,
        ).distinct()
    )
    if coordinators:
        return coordinators
    return [
        m.user
        for m in Membership.objects.select_related("user").filter(
            organization_id=program.organization_id, role=Role.ADMIN
        )
    ]


def _coordinator_path(request: SupportRequest) -> str:
    return reverse("support:request", args=[request.program_id, request.pk])


def _author_path(request: SupportRequest) -> str:
    return reverse("support:my_support_request", args=[request.program_id, request.pk])


def _tell_author(request: SupportRequest, *, kind: str, text: str) -> None:
    tell_and_email(
        [request.author],
        kind=kind,
        subject=text,
        text=f"{text} Open Tandem to read it.",
        url=_author_path(request),
        action="Open your request",
    )


def _tell_coordinators(request: SupportRequest, people: list[User], *, text: str) -> None:
    tell_and_email(
        people,
        kind="support_request",
        subject=text,
        text=f"{text} Open Tandem to read it: the email never carries what was written.",
        url=_coordinator_path(request),
        action="Open the request",
    )


def _text(value: str, field: str, *, required: str) -> str:
    text = clean_text(value, field=field, max_length=MESSAGE_MAX)
    if not text:
        raise ValidationError({field: required})
    return text


@transaction.atomic
def support_request_create(
    *,
    program_id: int,
    user: User,
    category: str,
    urgency: str,
    message: str,
    idempotency_key: str = "",
) -> SupportRequest:
    """A participant of the program asks its coordinators for help. The same form twice (the
    same `idempotency_key`) is one request."""
    participant = (
        Participant.objects.select_related("program").filter(program_id=program_id, user=user)
    ).first()
    if participant is None:
        raise Http404("You are not in this program.")
    key = idempotency_key[:64]
    if key:
        existing = SupportRequest.objects.filter(author=user, idempotency_key=key).first()
        if existing is not None:
            return existing
    if category not in Category.values:
        raise ValidationError({"category": "Choose what it is about."})
    if urgency not in Urgency.values:
        raise ValidationError({"urgency": "Choose how soon you need an answer."})
    text = _text(message, "message", required="Write a few words: only the coordinators read it.")
    relationship = None
    if category in ABOUT_THE_RELATIONSHIP:
        member = (
            RelationshipMember.objects.filter(
                participant=participant, relationship__status__in=OPEN_STATUSES
            )
            .select_related("relationship")
            .order_by("-relationship__started_on", "-pk")
            .first()
        )
        relationship = member.relationship if member else None
    program = participant.program
    try:
        with transaction.atomic():
            request = SupportRequest.objects.create(
                program=program,
                author=user,
                relationship=relationship,
                category=category,
                urgency=urgency,
                message=text,
                idempotency_key=key,
            )
    except IntegrityError:
        return SupportRequest.objects.get(author=user, idempotency_key=key)
    urgent = " It is marked urgent." if urgency == Urgency.HIGH else ""
    _tell_coordinators(
        request,
        recipients_for(program),
        text=f"A support request arrived in {program.name}.{urgent}",
    )
    return request


def _locked(request_id: int) -> SupportRequest:
    return SupportRequest.objects.select_for_update(of=("self",)).get(pk=request_id)


@transaction.atomic
def support_request_acknowledge(*, request: SupportRequest, user: User) -> bool:
    """Say the request was seen. Returns False if it was acknowledged (or resolved) already."""
    now = timezone.now()
    changed = SupportRequest.objects.filter(pk=request.pk, status=RequestStatus.NEW).update(
        status=RequestStatus.ACKNOWLEDGED, acknowledged_at=now
    )
    if changed:
        request.refresh_from_db()
        _tell_author(request, kind="support_acknowledged", text="A coordinator read your request.")
    return bool(changed)


@transaction.atomic
def support_request_assign(
    *, request: SupportRequest, user: User, assignee_id: int | None
) -> SupportRequest:
    """Give the request to one of the people who receive the program's requests (or nobody)."""
    locked = _locked(request.pk)
    if assignee_id is None:
        locked.assigned_to = None
    else:
        program = Program.objects.get(pk=locked.program_id)
        assignee = next((u for u in assignable_for(program) if u.pk == assignee_id), None)
        if assignee is None:
            raise ValidationError({"assignee": "Choose one of the program's coordinators."})
        locked.assigned_to = assignee
        if assignee.pk != user.pk:
            _tell_coordinators(
                locked, [assignee], text=f"{user.display_name} gave you a support request."
            )
    locked.save(update_fields=["assigned_to"])
    return locked


def assignable_for(program: Program) -> list[User]:
    """The program's coordinators and its organization's admins."""
    people = {u.pk: u for u in recipients_for(program)}
    for membership in Membership.objects.select_related("user").filter(
        organization_id=program.organization_id, role=Role.ADMIN
    ):
        people.setdefault(membership.user_id, membership.user)
    return sorted(people.values(), key=lambda u: (u.display_name, u.pk))


@transaction.atomic
def support_reply(
    *,
    request: SupportRequest,
    user: User,
    text: str,
    by_coordinator: bool,
    pathway_id: int | None = None,
    idempotency_key: str = "",
) -> SupportReply:
    """A coordinator answers (the request counts as acknowledged), or the author follows up
    (which reopens a resolved request). The same form twice is one reply."""
    locked = _locked(request.pk)
    key = idempotency_key[:64]
    if key:
        existing = SupportReply.objects.filter(
            request=locked, author=user, idempotency_key=key
        ).first()
        if existing is not None:
            return existing
    body = _text(text, "text", required="Write your reply.")
    pathway = None
    if pathway_id is not None:
        if not by_coordinator:
            raise ValidationError({"pathway": "Only a coordinator points to a pathway."})
        pathway = ReferralPathway.objects.filter(pk=pathway_id, program=locked.program_id).first()
        if pathway is None:
            raise ValidationError({"pathway": "Choose one of the program's referral pathways."})
    reply = SupportReply.objects.create(
        request=locked,
        author=user,
        by_coordinator=by_coordinator,
        text=body,
        pathway=pathway,
        idempotency_key=key,
    )
    now = timezone.now()
    if by_coordinator:
        if locked.answered_at is None:
            locked.answered_at = now
        if locked.status == RequestStatus.NEW:
            locked.status, locked.acknowledged_at = RequestStatus.ACKNOWLEDGED, now
        locked.save(update_fields=["answered_at", "status", "acknowledged_at"])
        _tell_author(locked, kind="support_reply", text="A coordinator replied to your request.")
    else:
        if locked.status == RequestStatus.RESOLVED:
            locked.status, locked.resolved_at = RequestStatus.ACKNOWLEDGED, None
            locked.save(update_fields=["status", "resolved_at"])
        people = [locked.assigned_to] if locked.assigned_to else None
        program = Program.objects.get(pk=locked.program_id)
        _tell_coordinators(
            locked,
            people or recipients_for(program),
            text=f"A follow-up arrived on a support request in {program.name}.",
        )
    return reply


@transaction.atomic
def support_request_resolve(*, request: SupportRequest, user: User, note: str) -> SupportRequest:
    """Close the request with a note only coordinators read; the author is told it is resolved."""
    locked = _locked(request.pk)
    if locked.status == RequestStatus.RESOLVED:
        raise ValidationError("This request is resolved already.", code="resolved")
    locked.resolution_note = clean_text(note, field="note", max_length=MESSAGE_MAX)
    locked.status = RequestStatus.RESOLVED
    locked.resolved_at, locked.resolved_by = timezone.now(), user
    if locked.acknowledged_at is None:
        locked.acknowledged_at = locked.resolved_at
    locked.save(
        update_fields=["resolution_note", "status", "resolved_at", "resolved_by", "acknowledged_at"]
    )
    _tell_author(
        locked, kind="support_resolved", text="A coordinator marked your request resolved."
    )
    return locked


def support_request_pause_relationship(*, request: SupportRequest, user: User) -> None:
    """For a conduct report: the coordinator pauses the author's relationship at once. The
    members are told their coordinator paused it, never why."""
    if request.category != Category.CONDUCT or request.relationship_id is None:
        raise ValidationError("Only a conduct report about a relationship can pause it.")
    if request.relationship is not None and request.relationship.status != (
        RelationshipStatus.ACTIVE
    ):
        raise ValidationError("The relationship is not active: there is nothing to pause.")
    relationship_pause(
        relationship_id=request.relationship_id, user=user, reason="", as_coordinator=True
    )
