"""Telling members about their sessions: an in-app notice, and an email where it matters.

Neither ever carries what a person wrote (an agenda, a note): only who, what and when, so that
a notice or an email in the wrong place reveals nothing of the content.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.urls import reverse

from tandem.accounts.models import Notification, User
from tandem.accounts.preferences import wanting_email
from tandem.core.emails import email_after_commit
from tandem.mentorships.models import RelationshipMember, Session


def session_path(session: Session) -> str:
    return reverse("mentorships:session", args=[session.pk])


def others(members: Iterable[RelationshipMember], user: User) -> list[User]:
    """The other members' accounts (the actor is never told about their own act)."""
    return [m.participant.user for m in members if m.participant.user_id != user.pk]


def current_members(session: Session) -> list[RelationshipMember]:
    return list(
        session.relationship.members.select_related("participant__user").filter(
            participant__status="joined"
        )
    )


def tell(users: Iterable[User], *, kind: str, text: str, url: str) -> None:
    """An in-app notice for each person."""
    Notification.objects.bulk_create(
        Notification(user=user, kind=kind, text=text[:300], url=url) for user in users
    )


def tell_and_email(
    users: Iterable[User], *, kind: str, subject: str, text: str, url: str, action: str
) -> None:
    """An in-app notice and, after commit, an email for each person."""
    people = list(users)
    tell(people, kind=kind, text=text, url=url)
    for user in wanting_email(people, kind):
        email_after_commit(
            template="session_notice",
            to=[user.email],
            context={
                "name": user.display_name,
                "subject": subject,
                "text": text,
                "url": url,
                "action": action,
            },
        )


@dataclass(frozen=True)
class Notice:
    """One person's notice, for `tell_and_email_many`."""

    user: User
    kind: str
    subject: str
    text: str
    url: str
    action: str


def tell_and_email_many(notices: Sequence[Notice]) -> None:
    """What `tell_and_email` does for many people with their own notices, in a fixed number of
    queries (the sweeps): the in-app notices in one insert, the email preferences read once
    per kind, and after commit an email for each person who wants it."""
    Notification.objects.bulk_create(
        Notification(user=n.user, kind=n.kind, text=n.text[:300], url=n.url) for n in notices
    )
    wanting: set[int] = set()
    for kind in {n.kind for n in notices}:
        people = [n.user for n in notices if n.kind == kind]
        wanting |= {u.pk for u in wanting_email(people, kind)}
    for notice in notices:
        if notice.user.pk not in wanting:
            continue
        email_after_commit(
            template="session_notice",
            to=[notice.user.email],
            context={
                "name": notice.user.display_name,
                "subject": notice.subject,
                "text": notice.text,
                "url": notice.url,
                "action": notice.action,
            },
        )


def email_with_calendar(
    session: Session, members: Iterable[RelationshipMember], *, kind: str, lead: str
) -> None:
    """Every member gets an email with the session's .ics (REQUEST, or CANCEL once called off),
    the actor too: each of them wants the event in, or out of, their own calendar.

    `lead` is the sentence before the time ("Mia Mentee picked a time"); the time is shown in
    each person's own zone. Nothing anyone wrote (agenda, reason, note) goes in.
    """
    # Imported here: calendars build on sessions, not the other way round.
    from tandem.mentorships.calendars.ics import CALENDAR_MIME, invitation, on_calendar
    from tandem.mentorships.sessions.times import format_moment

    if not on_calendar(session):
        return
    assert session.starts_at is not None
    people = [m.participant.user for m in members]
    cancelled = session.status == "cancelled"
    for user in wanting_email(people, kind):
        partners = [p.display_name for p in people if p.pk != user.pk]
        when = format_moment(session.starts_at, user.zone)
        subject = f"Session cancelled: {when}" if cancelled else f"Session scheduled: {when}"
        ics = invitation(session, partners=partners, attendee=user)
        email_after_commit(
            template="session_notice",
            to=[user.email],
            context={
                "name": user.display_name,
                "subject": subject,
                "text": f"{lead}: {when}. The calendar file attached "
                + ("removes it from your calendar." if cancelled else "adds it to your calendar."),
                "url": session_path(session),
                "action": "See the session",
            },
            attachments=[
                [
                    f"session-{session.pk}.ics",
                    ics,
                    CALENDAR_MIME + "; method=" + ("CANCEL" if cancelled else "REQUEST"),
                ]
            ],
        )
