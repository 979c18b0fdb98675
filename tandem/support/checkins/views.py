"""A member answers their check-in; the coordinators read the program's check-ins."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tandem.accounts.http import request_user as _user
from tandem.mentorships import feedback
from tandem.programs.selectors import get_participation_for, get_program_for_coordinator
from tandem.support.checkins import selectors, services
from tandem.support.checkins.forms import CheckInForm


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, program_id: int, checkin_id: int) -> HttpResponse:
    user = _user(request)
    participant = get_participation_for(user, program_id)
    found = services.checkin_of(user, program_id, checkin_id)
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.checkin_answer(
                checkin=found,
                user=user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            messages.success(request, "Thank you: your coordinators have it.")
            return redirect("programs:my_program", program_id)
    return render(
        request,
        "support/checkin.html",
        {
            "program": participant.program,
            "participant": participant,
            "checkin": found,
            "closed": services.is_closed(found),
            "form": form,
        },
    )


@login_required
def checkins(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_program_for_coordinator(_user(request), program_id)
    return render(
        request,
        "support/checkins.html",
        {"program": program, "report": selectors.checkins_for_coordinator(program, request.GET)},
    )
