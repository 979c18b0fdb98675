"""iCalendar (RFC 5545) for sessions, built with the `icalendar` library.

One event per session, with a UID that never changes and a SEQUENCE that rises with every change
(the session's own `sequence`), so that a calendar app updates or removes the event it has
instead of adding another. Times are in UTC. An event says who meets, when and where, and links
to the session page; it never carries an agenda or a note (calendars are synced to third parties).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from tandem.accounts.models import User
from tandem.mentorships.models import Session, SessionStatus

REQUEST, CANCEL = "REQUEST", "CANCEL"
PRODID = "-//Tandem//Mentoring sessions//EN"
CALENDAR_MIME = "text/calendar; charset=utf-8"


def session_uid(session: Session) -> str:
    """The event's UID: the same for the life of the session, unique to this installation."""
    host = urlsplit(settings.SITE_URL).hostname or "tandem.invalid"
    return f"session-{session.pk}@{host}"


def on_calendar(session: Session) -> bool:
    """A session with a chosen time: only those are ever in a calendar."""
    return session.starts_at is not None and session.ends_at is not None


def session_event(
    session: Session,
    *,
    partners: Iterable[str],
    attendee: User | None = None,
    now: datetime.datetime | None = None,
) -> Event:
    """The event of one session as `attendee` sees it; `partners` are the others' names."""
    assert session.starts_at is not None
    assert session.ends_at is not None
    names = ", ".join(partners) or "your group"
    event = Event()
    event.add("uid", session_uid(session))
    event.add("sequence", session.sequence)
    event.add("dtstamp", (now or timezone.now()).astimezone(datetime.UTC))
    event.add("dtstart", session.starts_at.astimezone(datetime.UTC))
    event.add("dtend", session.ends_at.astimezone(datetime.UTC))
    event.add("summary", f"Mentoring session with {names}")
    if session.place:
        event.add("location", session.place)
    url = settings.SITE_URL + reverse("mentorships:session", args=[session.pk])
    event.add("url", url)
    event.add("description", f"The session's page in Tandem: {url}")
    cancelled = session.status == SessionStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    if attendee is not None:
        organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL}")
        organizer.params["cn"] = vText("Tandem")
        event.add("organizer", organizer)
        person = vCalAddress(f"mailto:{attendee.email}")
        person.params["cn"] = vText(attendee.display_name)
        person.params["role"] = vText("REQ-PARTICIPANT")
        # Agreed in Tandem already: no reply is wanted from the calendar app.
        person.params["partstat"] = vText("ACCEPTED")
        person.params["rsvp"] = vText("FALSE")
        event.add("attendee", person)
    return event


def _calendar(method: str | None, name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def invitation(session: Session, *, partners: Iterable[str], attendee: User) -> str:
    """The .ics of an email about a session: REQUEST while it stands, CANCEL once called off."""
    method = CANCEL if session.status == SessionStatus.CANCELLED else REQUEST
    calendar = _calendar(method)
    calendar.add_component(session_event(session, partners=partners, attendee=attendee))
    return calendar.to_ical().decode()


def feed(entries: Iterable[tuple[Session, list[str]]], *, owner: User) -> bytes:
    """A person's feed: each of their sessions with a time, as they would see it."""
    calendar = _calendar(None, name=f"Tandem sessions of {owner.display_name}")
    now = timezone.now()
    for session, partners in entries:
        calendar.add_component(session_event(session, partners=partners, now=now))
    return calendar.to_ical()
