"""Pages and actions of goals, for their owner. Every action is a plain POST that leads back
to the workspace (it works without JavaScript); refusals come back as messages."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.http import request_user as _user
from tandem.mentorships import feedback
from tandem.mentorships.goals import access, services
from tandem.mentorships.goals.forms import GoalCreateForm, GoalForm
from tandem.mentorships.goals.selectors import goal_prompts_of
from tandem.mentorships.models import RelationshipStatus
from tandem.mentorships.sessions import access as session_access


def _back_to(relationship_id: int, goal_id: int | None = None) -> HttpResponseRedirect:
    url = reverse("mentorships:relationship", args=[relationship_id])
    return redirect(f"{url}#goal-{goal_id}" if goal_id else f"{url}#goals")


@login_required
@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest, relationship_id: int) -> HttpResponse:
    """Set a goal with the program's goal-setting prompts."""
    user = _user(request)
    member = session_access.member_of(user, relationship_id)
    relationship = member.relationship
    form = GoalCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.goal_create(
                relationship_id=relationship_id,
                user=user,
                title=data["title"],
                why=data["why"],
                success_criteria=data["success_criteria"],
                target_date=data["target_date"],
                sharing=data["sharing"],
                tasks=form.task_lines(),
                idempotency_key=data["idempotency_key"],
            )
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            feedback.warn(request, saved.warnings)
            messages.success(request, "Your goal is set.")
            return _back_to(relationship_id, saved.goal.pk)
    return render(
        request,
        "mentorships/goal_form.html",
        {
            "form": form,
            "relationship": relationship,
            "program": relationship.program,
            "participant": member.participant,
            "prompts": goal_prompts_of(relationship.program.goal_prompts),
            "read_only": relationship.status == RelationshipStatus.CONCLUDED,
            "concluded_message": session_access.CONCLUDED_MESSAGE,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = _user(request)
    goal, member = access.goal_of(user, goal_id)
    relationship = member.relationship
    initial = {
        "title": goal.title,
        "why": goal.why,
        "success_criteria": goal.success_criteria,
        "target_date": goal.target_date,
        "sharing": goal.sharing,
    }
    form = GoalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_update(goal_id=goal_id, user=user, **form.cleaned_data)
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            messages.success(request, "Your goal is saved.")
            return _back_to(relationship.pk, goal_id)
    return render(
        request,
        "mentorships/goal_form.html",
        {
            "form": form,
            "goal": goal,
            "relationship": relationship,
            "program": relationship.program,
            "participant": member.participant,
            "prompts": goal_prompts_of(relationship.program.goal_prompts),
            "read_only": relationship.status == RelationshipStatus.CONCLUDED,
            "concluded_message": session_access.CONCLUDED_MESSAGE,
        },
    )


@login_required
@require_POST
def goal_share(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = _user(request)
    goal, _ = access.goal_of(user, goal_id)
    try:
        goal = services.goal_share(
            goal_id=goal_id, user=user, sharing=request.POST.get("sharing", "")
        )
    except ValidationError as error:
        feedback.refused(request, error)
    else:
        messages.success(request, f"Who sees “{goal.title}”: {goal.get_sharing_display().lower()}.")
    return _back_to(goal.relationship_id, goal_id)


@login_required
@require_POST
def goal_progress(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = _user(request)
    goal, _ = access.goal_of(user, goal_id)
    try:
        percent = services.parse_progress(request.POST.get("progress", ""))
        services.goal_progress_set(goal_id=goal_id, user=user, percent=percent)
    except ValidationError as error:
        feedback.refused(request, error)
    else:
        messages.success(request, "Progress saved.")
    return _back_to(goal.relationship_id, goal_id)


@login_required
@require_POST
def goal_task_add(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = _user(request)
    goal, _ = access.goal_of(user, goal_id)
    text = request.POST.get("text", "")
    if "\x00" in text:
        messages.error(request, "Task: Null characters are not allowed.")
        return _back_to(goal.relationship_id, goal.pk)
    try:
        _, warnings = services.goal_task_add(
            goal_id=goal_id,
            user=user,
            text=text,
            # A key is URL-safe text from our own form; anything else (a NUL) is no key.
            idempotency_key=re.sub(r"[^A-Za-z0-9_-]", "", request.POST.get("idempotency_key", ""))[
                :64
            ],
        )
    except ValidationError as error:
        feedback.refused(request, error)
    else:
        feedback.warn(request, warnings)
        messages.success(request, "Task added.")
    return _back_to(goal.relationship_id, goal_id)


@login_required
@require_POST
def goal_task_mark(request: HttpRequest, task_id: int) -> HttpResponse:
    user = _user(request)
    _, goal, _ = access.task_of(user, task_id)
    try:
        services.goal_task_mark(task_id=task_id, user=user, done=request.POST.get("done") == "1")
    except ValidationError as error:
        feedback.refused(request, error)
    return _back_to(goal.relationship_id, goal.pk)


@login_required
@require_POST
def goal_task_delete(request: HttpRequest, task_id: int) -> HttpResponse:
    user = _user(request)
    _, goal, _ = access.task_of(user, task_id)
    try:
        services.goal_task_delete(task_id=task_id, user=user)
    except ValidationError as error:
        feedback.refused(request, error)
    else:
        messages.success(request, "Task removed.")
    return _back_to(goal.relationship_id, goal.pk)
