"""Pages of a relationship, for its members; and the home page, which shows their matches."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tandem.accounts.http import request_user as _user
from tandem.accounts.services import notifications_mark_read
from tandem.mentorships import home as home_selectors
from tandem.mentorships import selectors
from tandem.mentorships.models import MemberRole
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
    """Who you are matched with, why, and what happens next. Members only."""
    user = _user(request)
    relationship = selectors.get_relationship_for_member(user, relationship_id)
    members = list(relationship.members.select_related("participant__user").order_by("role", "pk"))
    me = next(m for m in members if m.participant.user_id == user.pk)
    partners = []
    for member in members:
        if member.pk == me.pk:
            continue
        member.participant.program = relationship.program
        # Partners see each other's public answers only (PRODUCT.md privacy table).
        partners.append((member, answers_for_participant(member.participant, public_only=True)))
    notifications_mark_read(user=user, url=request.path)
    return render(
        request,
        "mentorships/relationship.html",
        {
            "relationship": relationship,
            "program": relationship.program,
            "me": me,
            "partners": partners,
            "reasons": selectors.reasons_shown_to_members(relationship),
            "is_mentee": me.role in (MemberRole.MENTEE, MemberRole.PEER),
            "participant": me.participant,
        },
    )
