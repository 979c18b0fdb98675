"""Manual matching: a coordinator picks a mentee, sees ranked mentors, compares, and matches."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tandem.accounts.http import request_user as _user
from tandem.matching import selectors, services
from tandem.matching.forms import MenteeSearchForm
from tandem.mentorships.services import MatchRefused, Override
from tandem.programs.models import Participant, Program
from tandem.programs.selectors import get_participant_for_coordinator, get_program_for_coordinator


class ManualMatchForm(forms.Form):
    override_capacity = forms.BooleanField(
        label="Match even if the mentor has no room left", required=False
    )
    override_rules = forms.BooleanField(
        label="Match even though a required rule says no", required=False
    )
    reason = forms.CharField(
        label="Why (needed for an override)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        overriding = cleaned.get("override_capacity") or cleaned.get("override_rules")
        if overriding and not str(cleaned.get("reason", "")).strip():
            self.add_error("reason", "Say why you are overriding the rules.")
        return cleaned


@login_required
def manual_start(request: HttpRequest, program_id: int) -> HttpResponse:
    """Pick the mentee to match: unmatched mentees, searchable."""
    program = get_program_for_coordinator(_user(request), program_id)
    search = MenteeSearchForm(request.GET)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    page = selectors.unmatched_mentees_page(program, query, request.GET)
    return render(
        request,
        "matching/manual_start.html",
        {
            "program": program,
            "page": page,
            "q": query,
            "search_errors": search.errors.get("q", []),
            "query": urlencode({"q": query}),
        },
    )


@login_required
def manual_suggestions(request: HttpRequest, program_id: int, participant_id: int) -> HttpResponse:
    """Mentors for one mentee, ranked by score, with what they share and the places they have."""
    mentee = get_participant_for_coordinator(_user(request), program_id, participant_id)
    program = mentee.program
    if not mentee.is_mentee:
        raise Http404("Not a mentee.")
    show_all = request.GET.get("all") == "1"
    suggestions = selectors.suggestions_for(program, mentee, include_not_allowed=show_all)
    return render(
        request,
        "matching/manual_suggestions.html",
        {"program": program, "mentee": mentee, "suggestions": suggestions, "show_all": show_all},
    )


def _pair(
    request: HttpRequest, program_id: int, mentee_id: int, mentor_id: int
) -> tuple[Program, Participant, Participant]:
    mentee = get_participant_for_coordinator(_user(request), program_id, mentee_id)
    program = mentee.program
    mentor = program.participants.select_related("user").filter(pk=mentor_id).first()
    if mentor is None or not mentor.is_mentor or not mentee.is_mentee:
        raise Http404("No such pair.")
    mentor.program = program
    return program, mentee, mentor


@login_required
@require_http_methods(["GET", "POST"])
def manual_compare(
    request: HttpRequest, program_id: int, mentee_id: int, mentor_id: int
) -> HttpResponse:
    """Two profiles side by side, the rules' verdict, and the button that creates the match."""
    program, mentee, mentor = _pair(request, program_id, mentee_id, mentor_id)
    form = ManualMatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        override = Override(
            capacity=form.cleaned_data["override_capacity"],
            required_rules=form.cleaned_data["override_rules"],
            reason=form.cleaned_data["reason"],
        )
        try:
            services.manual_match_create(
                program=program,
                mentee=mentee,
                mentor=mentor,
                actor=_user(request),
                override=override,
            )
        except MatchRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            names = f"{mentee.user.display_name} with {mentor.user.display_name}"
            messages.success(request, f"Matched {names}; both are told.")
            return redirect("matching:manual", program.pk)
    assessment = services.pair_assessment(program, mentee, mentor)
    return render(
        request,
        "matching/manual_compare.html",
        {
            "program": program,
            "mentee": mentee,
            "mentor": mentor,
            "profiles": selectors.side_by_side(mentee, mentor, assessment["reasons"]),
            "assessment": assessment,
            "load": selectors.mentor_load(mentor),
            "form": form,
        },
    )
