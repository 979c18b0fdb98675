"""Pages of sessions, for the relationship's members; and the coordinator's view of them.

Every view fetches through `access` (a 404 for anyone not, or no longer, a member), calls one
service, and shows its refusal on the form or as a message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.http import request_user as _user
from tandem.accounts.services import notifications_mark_read
from tandem.core.ids import parse_id
from tandem.mentorships import feedback
from tandem.mentorships.goals.selectors import goals_for_coordinator
from tandem.mentorships.journal.forms import PrivateNoteForm, ReflectionForm, SharedNotesForm
from tandem.mentorships.journal.notes import NotesConflict
from tandem.mentorships.journal.selectors import session_journal_for
from tandem.mentorships.lifecycle.selectors import history_for_coordinator
from tandem.mentorships.messaging.selectors import message_counts_for_coordinator
from tandem.mentorships.models import (
    ClosingReflection,
    Reflection,
    RelationshipMember,
    RelationshipStatus,
    Session,
    SessionStatus,
)
from tandem.mentorships.sessions import access, agendas, outcomes, proposing, selectors
from tandem.mentorships.sessions.forms import (
    AgendaForm,
    CancelForm,
    DeclineForm,
    LogForm,
    ProposeForm,
)


def _session_url(session_id: int) -> str:
    return reverse("mentorships:session", args=[session_id])


@login_required
@require_http_methods(["GET", "POST"])
def session_propose(request: HttpRequest, relationship_id: int) -> HttpResponse:
    """Propose a session at one to three times."""
    user = _user(request)
    member = access.member_of(user, relationship_id)
    form = ProposeForm(request.POST or None, zone=user.zone)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = proposing.session_propose(
                relationship_id=relationship_id,
                user=user,
                options=form.cleaned_data["options"],
                place=form.cleaned_data["place"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            feedback.warn(request, proposal.warnings)
            messages.success(request, "Your times are proposed: you will hear when one is picked.")
            return redirect(_session_url(proposal.session.pk))
    return render(
        request,
        "mentorships/session_propose.html",
        {"form": form, "relationship": member.relationship, "program": member.relationship.program},
    )


@login_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    """A session: its times to pick from, its state, its agenda once sent (or your draft), its
    notes and, once held, the reflections."""
    user = _user(request)
    session, member = access.session_of(user, session_id)
    notifications_mark_read(user=user, url=request.path)
    return session_page(request, session, member)


def session_page(
    request: HttpRequest,
    session: Session,
    member: RelationshipMember,
    *,
    forms: dict[str, Form] | None = None,
    conflict: NotesConflict | None = None,
) -> HttpResponse:
    """The session page for `member`; `forms` replace the blank ones (a refused save shows
    its own form with its errors), `conflict` shows the current shared notes beside yours."""
    user = _user(request)
    relationship = member.relationship
    agenda = getattr(session, "agenda", None)
    writer = access.writes_agendas(member)
    journal = session_journal_for(user, session, member)
    blank: dict[str, Form] = {
        "shared_form": SharedNotesForm(
            initial={
                "text": journal.shared_notes.text if journal.shared_notes else "",
                "version": journal.notes_version,
            }
        ),
        "private_form": PrivateNoteForm(
            initial={"text": journal.private_note.text if journal.private_note else ""}
        ),
        "reflection_form": ReflectionForm(
            prompts=journal.reflection_prompts,
            initial=_reflection_initial(journal.my_reflection),
        ),
    }
    return render(
        request,
        "mentorships/session.html",
        {
            "session": session,
            "relationship": relationship,
            "program": relationship.program,
            "options": session.options.filter(declined_at__isnull=True).order_by("starts_at"),
            "can_pick": session.status == SessionStatus.PROPOSED
            and session.proposed_by_id != user.pk,
            "agenda": agenda if agenda and (agenda.sent_at or writer) else None,
            "writes_agenda": writer,
            "started": session.has_started(timezone.now()),
            "read_only": relationship.status == RelationshipStatus.CONCLUDED,
            "concluded_message": access.CONCLUDED_MESSAGE,
            "journal": journal,
            "conflict": conflict,
            **blank,
            **(forms or {}),
        },
    )


def _reflection_initial(reflection: Reflection | None) -> dict[str, Any]:
    if reflection is None:
        return {}
    initial: dict[str, Any] = {
        f"answer_{n}": answer for n, (_, answer) in enumerate(reflection.items, start=1)
    }
    initial["shared"] = reflection.shared
    return initial


@login_required
@require_POST
def session_pick(request: HttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    access.session_of(user, session_id)
    option_id = parse_id(request.POST.get("option"))
    if option_id is None:
        messages.error(request, "Choose one of the times proposed.")
        return redirect(_session_url(session_id))
    try:
        proposal = proposing.session_pick(session_id=session_id, user=user, option_id=option_id)
    except ValidationError as error:
        feedback.refused(request, error)
    else:
        feedback.warn(request, proposal.warnings)
        messages.success(request, "The session is scheduled.")
    return redirect(_session_url(session_id))


@login_required
@require_http_methods(["GET", "POST"])
def session_decline(request: HttpRequest, session_id: int) -> HttpResponse:
    """None of the times suits: say why and propose others."""
    user = _user(request)
    session, member = access.session_of(user, session_id)
    form = DeclineForm(request.POST or None, zone=user.zone)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = proposing.session_decline(
                session_id=session_id,
                user=user,
                note=form.cleaned_data["note"],
                options=form.cleaned_data["options"],
            )
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            feedback.warn(request, proposal.warnings)
            messages.success(request, "Your other times are proposed.")
            return redirect(_session_url(session_id))
    return render(
        request,
        "mentorships/session_decline.html",
        {"form": form, "session": session, "program": member.relationship.program},
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_cancel(request: HttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    session, member = access.session_of(user, session_id)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcomes.session_cancel(
                session_id=session_id, user=user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            messages.success(request, "The session is cancelled; the others are told.")
            return redirect(_session_url(session_id))
    return render(
        request,
        "mentorships/session_cancel.html",
        {"form": form, "session": session, "program": member.relationship.program},
    )


@login_required
@require_POST
def session_record(request: HttpRequest, session_id: int) -> HttpResponse:
    """Held or missed, for a session that has started."""
    user = _user(request)
    access.session_of(user, session_id)
    try:
        session = outcomes.session_record(
            session_id=session_id, user=user, outcome=request.POST.get("outcome", "")
        )
    except ValidationError as error:
        feedback.refused(request, error)
    else:
        messages.success(request, f"Marked as {session.get_status_display().lower()}.")
    return redirect(_session_url(session_id))


@login_required
@require_http_methods(["GET", "POST"])
def session_log(request: HttpRequest, relationship_id: int) -> HttpResponse:
    """A session held outside Tandem, logged afterwards."""
    user = _user(request)
    member = access.member_of(user, relationship_id)
    form = LogForm(request.POST or None, zone=user.zone)
    if request.method == "POST" and form.is_valid():
        options = form.cleaned_data["options"]
        try:
            proposal = outcomes.session_log(
                relationship_id=relationship_id,
                user=user,
                starts_at=options[0].starts_at,
                ends_at=options[0].ends_at,
                place=form.cleaned_data["place"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            feedback.warn(request, proposal.warnings)
            messages.success(request, "The session is logged.")
            return redirect("mentorships:relationship", relationship_id)
    return render(
        request,
        "mentorships/session_log.html",
        {"form": form, "relationship": member.relationship, "program": member.relationship.program},
    )


@login_required
@require_http_methods(["GET", "POST"])
def agenda(request: HttpRequest, session_id: int) -> HttpResponse:
    """The mentee writes and sends the agenda; the others read it once it is sent."""
    user = _user(request)
    session, member = access.session_of(user, session_id)
    relationship = member.relationship
    writer = access.writes_agendas(member)
    saved = getattr(session, "agenda", None)
    if request.method == "POST" and not writer:
        raise Http404("Only the mentee writes the agenda.")
    templates = list(relationship.program.agenda_templates.all())
    chosen: Any = None
    if saved is None:
        wanted = request.POST.get("template") or request.GET.get("template")
        chosen = next((t for t in templates if str(t.pk) == wanted), None)
        chosen = chosen or agendas.template_suggested_for(session)
    draft = saved or agendas.agenda_draft_for(session, chosen)
    form = AgendaForm(
        request.POST or None,
        prompts=list(draft.prompts),
        initial={f"answer_{n}": a for n, (_, a) in enumerate(draft.items, start=1)},
    )
    can_edit = writer and draft.sent_at is None and session.status in agendas.WRITABLE_STATUSES
    if request.method == "POST" and can_edit and form.is_valid():
        send = "send" in request.POST
        try:
            result = agendas.agenda_save(
                session_id=session_id,
                user=user,
                answers=form.answers(),
                template_id=chosen.pk if chosen is not None else None,
                send=send,
            )
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            if result.sent_now:
                messages.success(request, "Your agenda is sent.")
            else:
                messages.success(request, "Your agenda is saved; send it when it is ready.")
            return redirect(_session_url(session_id) if send else request.path)
    return render(
        request,
        "mentorships/agenda.html",
        {
            "session": session,
            "relationship": relationship,
            "program": relationship.program,
            "agenda": draft,
            "form": form,
            "can_edit": can_edit,
            "templates": templates if saved is None and can_edit else [],
            "chosen": chosen,
            "visible": writer or draft.sent_at is not None,
        },
    )


@login_required
def relationship_overview(
    request: HttpRequest, program_id: int, relationship_id: int
) -> HttpResponse:
    """The coordinator's view: who, and that sessions took place (when, in what state, whether
    the agenda went out in time), how many messages and when the latest. Nothing anyone wrote."""
    relationship = selectors.get_relationship_for_coordinator(
        _user(request), program_id, relationship_id
    )
    return render(
        request,
        "mentorships/relationship_overview.html",
        {
            "relationship": relationship,
            "program": relationship.program,
            "members": selectors.members_for_coordinator(relationship),
            "facts": selectors.session_facts_for_coordinator(relationship),
            "proposed": selectors.proposed_count(relationship),
            "goals": goals_for_coordinator(relationship),
            "history": history_for_coordinator(relationship),
            "closings": ClosingReflection.objects.filter(relationship=relationship).count(),
            "message_counts": message_counts_for_coordinator(relationship),
        },
    )
