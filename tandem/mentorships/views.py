"""Pages of a relationship, for its members; and the home page, which shows their matches."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.http import request_user as _user
from tandem.accounts.services import notifications_mark_read
from tandem.mentorships import home as home_selectors
from tandem.mentorships import selectors
from tandem.mentorships.goals.selectors import goals_for_workspace
from tandem.mentorships.lifecycle.selectors import lifecycle_for
from tandem.mentorships.messaging.forms import MessageForm
from tandem.mentorships.messaging.selectors import messages_for_workspace
from tandem.mentorships.models import MemberRole, RelationshipStatus
from tandem.mentorships.sessions import access
from tandem.mentorships.sessions.selectors import workspace_for
from tandem.programs import selectors as program_selectors
from tandem.programs.selectors import answers_for_participant


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A person's news, matches and programs; and for those who run programs, what each awaits."""
    user = _user(request)
    return render(
        request,
        "mentorships/home.html",
        {
            "participations": program_selectors.participations_for(user),
            "relationships": home_selectors.matches_for_home(user),
            "coordinated": home_selectors.programs_run_by(user),
            "administered": home_selectors.organizations_administered(user),
            "notifications": user.notifications.unread()[:10],
        },
    )


@login_required
def relationship_detail(request: HttpRequest, relationship_id: int) -> HttpResponse:
    """The workspace: who you work with, what happens next and whose move it is, the sessions
    to come and past, the latest messages. Members still in the program only; asks for a time
    zone on first use."""
    user = _user(request)
    member = access.member_of(user, relationship_id)
    if not user.time_zone:
        messages.info(request, "First, your time zone: every session time is shown in it.")
        return redirect(f"{reverse('account')}?{urlencode({'next': request.path})}")
    relationship = member.relationship
    now = timezone.now()
    workspace = workspace_for(user, member, now=now)
    partners = []
    for other in workspace.members:
        if other.pk == member.pk:
            continue
        other.participant.program = relationship.program
        # Partners see each other's public answers only (PRODUCT.md privacy table).
        partners.append((other, answers_for_participant(other.participant, public_only=True)))
    notifications_mark_read(user=user, url=request.path)
    return render(
        request,
        "mentorships/relationship.html",
        {
            "relationship": relationship,
            "program": relationship.program,
            "me": member,
            "partners": partners,
            "reasons": selectors.reasons_shown_to_members(relationship),
            "is_mentee": member.role in (MemberRole.MENTEE, MemberRole.PEER),
            "participant": member.participant,
            "workspace": workspace,
            "goals": goals_for_workspace(member, workspace.members),
            "conversation": messages_for_workspace(member),
            "message_form": MessageForm(),
            "lifecycle": lifecycle_for(member, now=now),
            "read_only": relationship.status == RelationshipStatus.CONCLUDED,
            "concluded_message": access.CONCLUDED_MESSAGE,
        },
    )
