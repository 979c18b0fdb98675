"""The messages page of a relationship, for its members: the list (latest page first, newest at
the bottom) and the form to write. Read-only once the relationship has concluded."""

from __future__ import annotations

import re

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tandem.accounts.http import request_user as _user
from tandem.accounts.services import notifications_mark_read
from tandem.mentorships import feedback
from tandem.mentorships.messaging import reading, selectors, sending
from tandem.mentorships.messaging.forms import MessageForm
from tandem.mentorships.models import RelationshipStatus
from tandem.mentorships.sessions import access


def _key(value: str) -> str:
    # A key is URL-safe text from our own form; anything else (a NUL) is no key.
    return re.sub(r"[^A-Za-z0-9_-]", "", value)[:64]


@login_required
@require_http_methods(["GET", "POST"])
def messages(request: HttpRequest, relationship_id: int) -> HttpResponse:
    """Read the conversation and write to it. Opening it marks what it shows as read."""
    user = _user(request)
    member = access.member_of(user, relationship_id)
    relationship = member.relationship
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sending.message_send(
                relationship_id=relationship_id,
                user=user,
                body=form.cleaned_data["body"],
                idempotency_key=_key(form.cleaned_data["idempotency_key"]),
            )
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            flash.success(request, "Your message is sent.")
            return redirect(f"{request.path}#latest")
    page = selectors.messages_page(member, request.GET)
    read_before = None
    if page.object_list:
        read_before = reading.messages_mark_read(
            member=member, up_to_message_id=max(m.pk for m in page.object_list)
        )
    notifications_mark_read(user=user, url=request.path)
    return render(
        request,
        "mentorships/messages.html",
        {
            "relationship": relationship,
            "program": relationship.program,
            "participant": member.participant,
            "me": member,
            "page": page,
            "read_before": read_before or 0,
            "form": form,
            "read_only": relationship.status == RelationshipStatus.CONCLUDED,
            "concluded_message": access.CONCLUDED_MESSAGE,
        },
        status=200,
    )
