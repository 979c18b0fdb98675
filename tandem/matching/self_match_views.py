"""Self-matching pages of participants: browse mentors, send and answer requests."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.http import request_user as _user
from tandem.core.pagination import PAGE_PARAMS
from tandem.matching import selectors, self_match
from tandem.matching.forms import MentorFilterForm
from tandem.matching.problems import rules_for
from tandem.matching.recommendations import MentorFilters, mentor_filter_questions, mentors_page
from tandem.mentorships.services import MatchRefused
from tandem.programs.models import Participant, ParticipantStatus
from tandem.programs.selectors import answers_for_participant


class RequestForm(forms.Form):
    message = forms.CharField(
        label="Your message",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you hope to work on, and why this mentor.",
    )


class AnswerForm(forms.Form):
    note = forms.CharField(
        label="A note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _self_matching_mentee(request: HttpRequest, program_id: int) -> Participant:
    participant = selectors.get_own_participation(_user(request), program_id)
    if (
        not participant.program.self_matching
        or not participant.is_mentee
        or participant.status != ParticipantStatus.JOINED
    ):
        raise Http404("Self-matching is not open to you in this program.")
    return participant


@login_required
def browse(request: HttpRequest, program_id: int) -> HttpResponse:
    """Mentors to ask, best first: search, filters by public answers, and pages."""
    mentee = _self_matching_mentee(request, program_id)
    program = mentee.program
    form = MentorFilterForm(request.GET or None, questions=mentor_filter_questions(program))
    filters = MentorFilters()
    if form.is_valid():
        filters = MentorFilters(
            search=form.cleaned_data["q"].strip(), answers=form.answer_filters()
        )
    page = mentors_page(mentee, filters, request.GET)
    query = request.GET.copy()
    for place in PAGE_PARAMS:
        query.pop(place, None)
    open_requests = selectors.requests_of(mentee)["sent"].filter(status="open").count()
    return render(
        request,
        "matching/browse.html",
        {
            "program": program,
            "participant": mentee,
            "form": form,
            "filtered": filters.active,
            "page": page,
            "query": query.urlencode(),
            "open_requests": open_requests,
            "limit": rules_for(program).max_open_requests,
            "matched": mentee.pk in selectors.matched_participant_ids(program),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest, program_id: int, mentor_id: int) -> HttpResponse:
    mentee = _self_matching_mentee(request, program_id)
    program = mentee.program
    mentor = (
        program.participants.mentors()
        .filter(pk=mentor_id, status=ParticipantStatus.JOINED)
        .select_related("user")
        .first()
    )
    if mentor is None or mentor.user_id == mentee.user_id:
        raise Http404("No such mentor.")
    mentor.program = program
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            self_match.match_request_send(
                mentee=mentee, mentor=mentor, message=form.cleaned_data["message"]
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, f"Your request is on its way to {mentor.user.display_name}.")
            return redirect("matching:my_requests", program.pk)
    return render(
        request,
        "matching/request_form.html",
        {
            "program": program,
            "participant": mentee,
            "mentor": mentor,
            "answers": answers_for_participant(mentor, public_only=True),
            "form": form,
        },
    )


@login_required
def my_requests(request: HttpRequest, program_id: int) -> HttpResponse:
    participant = selectors.get_own_participation(_user(request), program_id)
    if not participant.program.self_matching:
        raise Http404("This program does not use self-matching.")
    return render(
        request,
        "matching/my_requests.html",
        {
            "program": participant.program,
            "participant": participant,
            "answer_form": AnswerForm(),
            **selectors.requests_of(participant),
        },
    )


def _answer(request: HttpRequest, program_id: int, request_id: int, accept: bool) -> HttpResponse:
    participant = selectors.get_own_participation(_user(request), program_id)
    form = AnswerForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    # The service only finds requests addressed to this person: anyone else gets a refusal.
    if not participant.requests_received.filter(pk=request_id).exists():
        raise Http404("No such request.")
    try:
        if accept:
            relationship = self_match.match_request_accept(
                request_id=request_id, mentor_user=_user(request), note=note
            )
            messages.success(request, "You have a new mentee. They are told.")
            return redirect("mentorships:relationship", relationship.pk)
        self_match.match_request_decline(
            request_id=request_id, mentor_user=_user(request), note=note
        )
        messages.success(request, "Request declined. The mentee is told, kindly.")
    except MatchRefused as refusal:
        messages.error(request, refusal.message)
    return redirect("matching:my_requests", program_id)


@login_required
@require_POST
def request_accept(request: HttpRequest, program_id: int, request_id: int) -> HttpResponse:
    return _answer(request, program_id, request_id, accept=True)


@login_required
@require_POST
def request_decline(request: HttpRequest, program_id: int, request_id: int) -> HttpResponse:
    return _answer(request, program_id, request_id, accept=False)


@login_required
@require_POST
def request_withdraw(request: HttpRequest, program_id: int, request_id: int) -> HttpResponse:
    participant = selectors.get_own_participation(_user(request), program_id)
    if not participant.requests_sent.filter(pk=request_id).exists():
        raise Http404("No such request.")
    try:
        self_match.match_request_withdraw(request_id=request_id, mentee_user=_user(request))
    except MatchRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, "Request withdrawn.")
    return redirect("matching:my_requests", program_id)
