"""Pages of support requests. The author's: ask, the list of one's requests, one request with
its thread and a follow-up. The coordinators': the queue of a program and across programs, and
one request with what can be done to it. Every refusal comes back with its reason; a request
is a 404 to anyone but its author and the program's coordinators."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.http import request_user as _user
from tandem.core.text import clean_key
from tandem.mentorships import feedback
from tandem.programs.models import Program
from tandem.programs.selectors import get_participation_for, get_program_for_coordinator
from tandem.support.models import Category, RequestStatus, SupportRequest
from tandem.support.requests import selectors, services
from tandem.support.requests.forms import (
    AssignForm,
    CoordinatorReplyForm,
    ReplyForm,
    ResolveForm,
    SupportRequestForm,
)


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest, program_id: int) -> HttpResponse:
    participant = get_participation_for(_user(request), program_id)
    form = SupportRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.support_request_create(
                program_id=program_id,
                user=_user(request),
                category=data["category"],
                urgency=data["urgency"],
                message=data["message"],
                idempotency_key=clean_key(data["idempotency_key"]),
            )
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            messages.success(request, "Sent to the coordinators. Only they can read it.")
            return redirect("support:my_support_request", program_id, created.pk)
    return render(
        request,
        "support/request_new.html",
        {"program": participant.program, "participant": participant, "form": form},
    )


@login_required
def my_requests(request: HttpRequest, program_id: int) -> HttpResponse:
    participant = get_participation_for(_user(request), program_id)
    return render(
        request,
        "support/my_requests.html",
        {
            "program": participant.program,
            "participant": participant,
            "requests": selectors.requests_of_author(_user(request), program_id),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_request(request: HttpRequest, program_id: int, support_id: int) -> HttpResponse:
    participant = get_participation_for(_user(request), program_id)
    support_request = selectors.request_for_author(_user(request), program_id, support_id)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.support_reply(
                request=support_request,
                user=_user(request),
                text=form.cleaned_data["text"],
                by_coordinator=False,
                idempotency_key=clean_key(form.cleaned_data["idempotency_key"]),
            )
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            messages.success(request, "Sent to the coordinators.")
            return redirect("support:my_support_request", program_id, support_id)
    return render(
        request,
        "support/my_request.html",
        {
            "program": participant.program,
            "participant": participant,
            "support_request": support_request,
            "thread": selectors.thread_of(support_request),
            "form": form,
        },
    )


FILTER_LABELS = [("open", "Open"), ("new", "New"), ("resolved", "Resolved"), ("all", "All")]


def _queue_page(request: HttpRequest, queue: selectors.Queue, **context: object) -> HttpResponse:
    kept = {"show": queue.chosen, **({"mine": "1"} if queue.mine else {})}
    return render(
        request,
        "support/queue.html",
        {"queue": queue, "filters": FILTER_LABELS, "query": urlencode(kept), **context},
    )


@login_required
def queue(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_program_for_coordinator(_user(request), program_id)
    found = selectors.program_queue(_user(request), program, request.GET)
    return _queue_page(request, found, program=program)


@login_required
def queue_all(request: HttpRequest) -> HttpResponse:
    if not Program.objects.coordinated_by(_user(request)).exists():
        raise Http404("You run no program.")
    found = selectors.queue_across_programs(_user(request), request.GET)
    return _queue_page(request, found, program=None)


@login_required
def request_detail(request: HttpRequest, program_id: int, support_id: int) -> HttpResponse:
    user = _user(request)
    support_request = selectors.request_for_coordinator(user, program_id, support_id)
    return _detail(request, support_request)


def _detail(
    request: HttpRequest,
    support_request: SupportRequest,
    *,
    reply_form: CoordinatorReplyForm | None = None,
    resolve_form: ResolveForm | None = None,
) -> HttpResponse:
    program = support_request.program
    people = services.assignable_for(program)
    return render(
        request,
        "support/request.html",
        {
            "program": program,
            "support_request": support_request,
            "thread": selectors.thread_of(support_request),
            "overdue": selectors.is_overdue(support_request, timezone.now()),
            "age": selectors.age_in_words(support_request.created_at, timezone.now()),
            "reply_form": reply_form or CoordinatorReplyForm(program_id=program.pk),
            "resolve_form": resolve_form or ResolveForm(),
            "assign_form": AssignForm(
                people=people, initial={"assignee": support_request.assigned_to_id or ""}
            ),
            "can_pause": support_request.category == Category.CONDUCT
            and support_request.relationship is not None
            and support_request.relationship.status == "active",
            "resolved": support_request.status == RequestStatus.RESOLVED,
        },
    )


def _back(program_id: int, support_id: int) -> HttpResponse:
    return redirect(reverse("support:request", args=[program_id, support_id]))


@login_required
@require_POST
def act(request: HttpRequest, program_id: int, support_id: int, action: str) -> HttpResponse:
    """Acknowledge, assign, reply, resolve or pause: each a POST to its own URL."""
    user = _user(request)
    support_request = selectors.request_for_coordinator(user, program_id, support_id)
    try:
        if action == "acknowledge":
            if services.support_request_acknowledge(request=support_request, user=user):
                messages.success(request, "Acknowledged: the author is told you read it.")
            else:
                messages.info(request, "This request was acknowledged already.")
        elif action == "assign":
            form = AssignForm(request.POST, people=services.assignable_for(support_request.program))
            if not form.is_valid():
                raise ValidationError({"assignee": "Choose one of the program's coordinators."})
            services.support_request_assign(
                request=support_request, user=user, assignee_id=form.cleaned_data["assignee"]
            )
            messages.success(request, "Assigned.")
        elif action == "reply":
            reply_form = CoordinatorReplyForm(request.POST, program_id=program_id)
            if not reply_form.is_valid():
                return _detail(request, support_request, reply_form=reply_form)
            pathway = reply_form.cleaned_data["pathway"]
            try:
                services.support_reply(
                    request=support_request,
                    user=user,
                    text=reply_form.cleaned_data["text"],
                    by_coordinator=True,
                    pathway_id=pathway.pk if pathway else None,
                    idempotency_key=clean_key(reply_form.cleaned_data["idempotency_key"]),
                )
            except ValidationError as error:
                feedback.attach(reply_form, error)
                return _detail(request, support_request, reply_form=reply_form)
            messages.success(request, "Replied: the author is told there is an answer.")
        elif action == "resolve":
            resolve_form = ResolveForm(request.POST)
            if not resolve_form.is_valid():
                return _detail(request, support_request, resolve_form=resolve_form)
            try:
                services.support_request_resolve(
                    request=support_request, user=user, note=resolve_form.cleaned_data["note"]
                )
            except ValidationError as error:
                if error.code == "resolved":
                    raise
                feedback.attach(resolve_form, error)
                return _detail(request, support_request, resolve_form=resolve_form)
            messages.success(request, "Resolved: the author is told.")
        else:  # pause
            services.support_request_pause_relationship(request=support_request, user=user)
            messages.success(
                request, "The relationship is paused. Its members are told you paused it, not why."
            )
    except ValidationError as error:
        feedback.refused(request, error)
    return _back(program_id, support_id)
