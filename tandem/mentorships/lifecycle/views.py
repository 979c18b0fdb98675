"""Pages of a relationship's lifecycle. Each change has a page that says what it does (GET) and
a form that does it (POST), for members; the coordinator has the same for conclude, resume and
re-ignite on the relationship's overview. Every refusal comes back with its reason."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.http import request_user as _user
from tandem.mentorships import feedback
from tandem.mentorships.lifecycle import changes, closing
from tandem.mentorships.lifecycle.forms import ClosingReflectionForm, ConcludeForm, PauseForm
from tandem.mentorships.models import ClosingReflection, Relationship, RelationshipStatus
from tandem.mentorships.sessions import access
from tandem.mentorships.sessions.selectors import get_relationship_for_coordinator

ACTIONS = {
    "pause": ("Pause the relationship", "Pause", PauseForm),
    "resume": ("Resume the relationship", "Resume", None),
    "conclude": ("Conclude the relationship", "Conclude", ConcludeForm),
}
EXPLAINED = {
    "pause": "A pause is a break from meeting: no reminders or prompts go out, and nobody can "
    "plan a session until it resumes. Messages, notes and goals stay open.",
    "resume": "Everything starts again where you left it: reminders, prompts and planning.",
    "conclude": "Everything you wrote stays here to read, and each of you is asked for a "
    "closing reflection. You can ask to start again later.",
}


def _workspace(relationship_id: int) -> str:
    return reverse("mentorships:relationship", args=[relationship_id])


def _act(action: str, request: HttpRequest, relationship_id: int, form: Form | None) -> None:
    user = _user(request)
    data = form.cleaned_data if form is not None else {}
    if action == "pause":
        changes.relationship_pause(
            relationship_id=relationship_id,
            user=user,
            reason=data["reason"],
            resume_on=data.get("resume_on"),
        )
    elif action == "resume":
        changes.relationship_resume(relationship_id=relationship_id, user=user)
    else:
        changes.relationship_conclude(
            relationship_id=relationship_id, user=user, reason=data.get("reason", "")
        )


@login_required
@require_http_methods(["GET", "POST"])
def relationship_change(request: HttpRequest, relationship_id: int, action: str) -> HttpResponse:
    """Pause, resume or conclude, by a member."""
    if action not in ACTIONS:
        raise Http404("No such action.")
    member = access.member_of(_user(request), relationship_id)
    title, button, form_class = ACTIONS[action]
    form = form_class(request.POST or None) if form_class else None
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            _act(action, request, relationship_id, form)
        except ValidationError as error:
            if form is None:
                feedback.refused(request, error)
                return redirect(_workspace(relationship_id))
            feedback.attach(form, error)
        else:
            done = {"pause": "paused", "resume": "resumed", "conclude": "concluded"}[action]
            messages.success(request, f"The relationship is {done}.")
            return redirect(_workspace(relationship_id))
    return render(
        request,
        "mentorships/lifecycle_change.html",
        {
            "relationship": member.relationship,
            "program": member.relationship.program,
            "title": title,
            "button": button,
            "explained": EXPLAINED[action],
            "form": form,
            "back": _workspace(relationship_id),
        },
    )


@login_required
@require_POST
def reignite_ask(request: HttpRequest, relationship_id: int) -> HttpResponse:
    access.member_of(_user(request), relationship_id)
    try:
        changes.reignite_ask(relationship_id=relationship_id, user=_user(request))
    except ValidationError as error:
        feedback.refused(request, error)
    else:
        messages.success(request, "Asked: your partner is told and can accept.")
    return redirect(_workspace(relationship_id))


@login_required
@require_POST
def reignite_answer(request: HttpRequest, relationship_id: int) -> HttpResponse:
    access.member_of(_user(request), relationship_id)
    accept = request.POST.get("answer") == "accept"
    try:
        changes.reignite_answer(relationship_id=relationship_id, user=_user(request), accept=accept)
    except ValidationError as error:
        feedback.refused(request, error)
    else:
        messages.success(
            request,
            "The relationship is active again, with all its history."
            if accept
            else "You said no for now.",
        )
    return redirect(_workspace(relationship_id))


@login_required
@require_http_methods(["GET", "POST"])
def closing_reflection(request: HttpRequest, relationship_id: int) -> HttpResponse:
    user = _user(request)
    member = access.member_of(user, relationship_id)
    relationship = member.relationship
    mine = ClosingReflection.objects.filter(relationship=relationship, author=user).first()
    initial = (
        {
            "went_well": mine.went_well,
            "learned": mine.learned,
            "again": mine.again,
            "shared": mine.shared,
        }
        if mine
        else None
    )
    form = ClosingReflectionForm(request.POST or None, initial=initial)
    if relationship.status != RelationshipStatus.CONCLUDED:
        messages.info(request, "A closing reflection is written once the relationship concludes.")
        return redirect(_workspace(relationship_id))
    if request.method == "POST" and form.is_valid():
        try:
            saved = closing.closing_reflection_save(
                relationship_id=relationship_id, user=user, **form.cleaned_data
            )
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            messages.success(
                request,
                "Saved and shared with your partner(s)."
                if saved.shared
                else "Saved. Only you can see it.",
            )
            return redirect(f"{_workspace(relationship_id)}#lifecycle")
    return render(
        request,
        "mentorships/closing_reflection.html",
        {"relationship": relationship, "program": relationship.program, "form": form},
    )


COORDINATOR_ACTIONS = {
    "pause": ("Pause the relationship", "Pause"),
    "resume": ("Resume the relationship", "Resume"),
    "conclude": ("Conclude the relationship", "Conclude"),
    "reignite": ("Re-ignite the relationship", "Re-ignite"),
}


@login_required
@require_http_methods(["GET", "POST"])
def coordinator_change(
    request: HttpRequest, program_id: int, relationship_id: int, action: str
) -> HttpResponse:
    """The coordinator concludes, resumes or re-ignites a relationship of their program."""
    if action not in COORDINATOR_ACTIONS:
        raise Http404("No such action.")
    user = _user(request)
    relationship: Relationship = get_relationship_for_coordinator(user, program_id, relationship_id)
    overview = reverse("mentorships:relationship_overview", args=[program_id, relationship_id])
    if request.method == "POST":
        try:
            if action == "pause":
                changes.relationship_pause(
                    relationship_id=relationship_id, user=user, reason="", as_coordinator=True
                )
            elif action == "resume":
                changes.relationship_resume(
                    relationship_id=relationship_id, user=user, as_coordinator=True
                )
            elif action == "conclude":
                changes.relationship_conclude(
                    relationship_id=relationship_id, user=user, as_coordinator=True
                )
            else:
                changes.relationship_reignite(relationship_id=relationship_id, user=user)
        except ValidationError as error:
            feedback.refused(request, error)
        else:
            messages.success(request, "Done: the members are told.")
        return redirect(overview)
    title, button = COORDINATOR_ACTIONS[action]
    return render(
        request,
        "mentorships/lifecycle_change.html",
        {
            "relationship": relationship,
            "program": relationship.program,
            "title": title,
            "button": button,
            "explained": "The members are told; everything they wrote stays theirs.",
            "form": None,
            "back": overview,
            "coordinator": True,
        },
    )
