"""A session's .ics to download, a person's private feed, and the page that manages the feed."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from tandem.accounts.http import request_user as _user
from tandem.mentorships.calendars import feeds, ics
from tandem.mentorships.models import CalendarFeed
from tandem.mentorships.sessions import access

# Reading a feed notes when, at most this often: a calendar app polls every few minutes.
LAST_READ_EVERY = datetime.timedelta(hours=1)


@login_required
@require_GET
def session_calendar(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session as a calendar file, for its members; 404 before a time is chosen."""
    user = _user(request)
    session, _member = access.session_of(user, session_id)
    if not ics.on_calendar(session):
        raise Http404("This session has no time yet.")
    others = (
        session.relationship.members.exclude(participant__user=user)
        .select_related("participant__user")
        .order_by("role", "pk")
    )
    partners = [m.participant.user.display_name for m in others]
    body = ics.invitation(session, partners=partners, attendee=user)
    response = HttpResponse(body, content_type=ics.CALENDAR_MIME)
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}.ics"'
    return response


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed a calendar app subscribes to: no log-in, the secret address is the key."""
    feed = feeds.feed_by_token(token)
    if feed is None:
        raise Http404("No such calendar.")
    now = timezone.now()
    if feed.last_read_at is None or feed.last_read_at < now - LAST_READ_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=now)
    body = ics.feed(feeds.feed_entries(feed.user, now=now), owner=feed.user)
    response = HttpResponse(body, content_type=ics.CALENDAR_MIME)
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """Turn the feed on, give it a new address (the old one stops), or turn it off."""
    user = _user(request)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "on":
            feeds.feed_turn_on(user=user)
            messages.success(request, "Your calendar feed is on: copy its address below.")
        elif action == "replace":
            feeds.feed_replace_address(user=user)
            messages.success(request, "New address made: the old one no longer works.")
        elif action == "off":
            feeds.feed_turn_off(user=user)
            messages.success(request, "Your calendar feed is off: its address no longer works.")
        else:
            messages.error(request, "Choose one of the buttons below.")
        return redirect("mentorships:calendar_settings")
    feed = CalendarFeed.objects.filter(user=user).first()
    feed_url = None
    if feed is not None:
        feed_url = request.build_absolute_uri(
            reverse("mentorships:calendar_feed", args=[feed.token])
        )
    return render(
        request, "mentorships/calendar_settings.html", {"feed": feed, "feed_url": feed_url}
    )
