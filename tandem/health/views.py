"""The program health page, and its one-click actions (each a POST that leads back to it)."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tandem.accounts.http import request_user as _user
from tandem.core.text import clean_key
from tandem.health import actions, charts, exports, selectors
from tandem.mentorships import feedback
from tandem.mentorships.sessions.forms import new_idempotency_key
from tandem.programs.selectors import get_program_for_coordinator
from tandem.support.checkins.services import checkin_ask_now


@login_required
def health(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_program_for_coordinator(_user(request), program_id)
    return render(
        request,
        "health/health.html",
        {
            "program": program,
            "health": selectors.health_for(program),
            "charts": charts.charts_for(program),
            "shown": selectors.SHOWN,
            "stuck_after": selectors.STUCK_AFTER_DAYS,
            "request_days": selectors.REQUEST_OPEN_DAYS,
            "key": new_idempotency_key(),
        },
    )


@login_required
@require_POST
def act(request: HttpRequest, program_id: int, relationship_id: int, action: str) -> HttpResponse:
    user = _user(request)
    program = get_program_for_coordinator(user, program_id)
    found = selectors.health_row(program, relationship_id)
    if found is None:
        raise Http404("No such relationship.")
    try:
        if action == "nudge":
            nudge = actions.relationship_nudge(
                relationship=found.relationship,
                user=user,
                quiet_since=found.last_activity,
                idempotency_key=clean_key(request.POST.get("idempotency_key", "")),
            )
            messages.success(
                request,
                "Nudged: the mentee and the mentor are emailed."
                if nudge.to_mentor
                else "Nudged: the mentee is emailed (a second nudge reaches the mentor too).",
            )
        else:
            asked = checkin_ask_now(relationship=found.relationship)
            messages.success(
                request,
                f"Asked {asked} member{'s' if asked != 1 else ''} for a check-in."
                if asked
                else "Every member has been asked for this round already.",
            )
    except ValidationError as error:
        feedback.refused(request, error)
    return redirect("health:health", program_id)


def _csv(name: str, lines: Iterator[str]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def export_relationships(request: HttpRequest, program_id: int) -> StreamingHttpResponse:
    program = get_program_for_coordinator(_user(request), program_id)
    today = timezone.localdate().isoformat()
    return _csv(
        f"relationships-{program.pk}-{today}.csv",
        exports.csv_lines(exports.relationship_rows(program)),
    )


@login_required
def export_health(request: HttpRequest, program_id: int) -> StreamingHttpResponse:
    program = get_program_for_coordinator(_user(request), program_id)
    today = timezone.localdate().isoformat()
    return _csv(f"health-{program.pk}-{today}.csv", exports.csv_lines(exports.health_rows(program)))
