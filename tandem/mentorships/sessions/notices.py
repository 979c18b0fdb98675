"""Telling members about their sessions: an in-app notice, and an email where it matters.

Neither ever carries what a person wrote (an agenda, a note): only who, what and when, so that
a notice or an email in the wrong place reveals nothing of the content.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from tandem.accounts.models import Notification, User
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
    for user in people:
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
