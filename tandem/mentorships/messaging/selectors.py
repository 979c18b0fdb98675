"""Reads of messages: the members' list (paged by keyset), the workspace's latest few with the
unread count, unread counts for the home page, and the coordinator's counts (never content)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import (
    Count,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from tandem.accounts.models import User
from tandem.core.pagination import AFTER, BEFORE, LAST, KeysetPage, keyset_page
from tandem.mentorships.models import (
    Message,
    MessageReadState,
    Relationship,
    RelationshipMember,
)

PER_PAGE = 30
WORKSPACE_SHOWN = 5
ORDER = ("created_at", "pk")


def messages_page(member: RelationshipMember, params: Mapping[str, str]) -> KeysetPage[Message]:
    """One page of the relationship's messages, oldest first, newest at the bottom; without a
    cursor, the latest page. A fixed number of queries however many there are: the count, the
    cursor's row (when there is one) and the page with its authors."""
    if not any(params.get(key) for key in (AFTER, BEFORE, LAST)):
        params = {LAST: "1"}
    messages = Message.objects.filter(relationship_id=member.relationship_id).select_related(
        "author__participant__user"
    )
    return keyset_page(messages, order=ORDER, params=params, per_page=PER_PAGE)


def _read_up_to(member: OuterRef | RelationshipMember) -> Coalesce:
    """How far the member has read (0 when not at all), as a subquery."""
    state = MessageReadState.objects.filter(member=member).values("last_read_message_id")[:1]
    return Coalesce(Subquery(state, output_field=IntegerField()), Value(0))


@dataclass(frozen=True)
class WorkspaceMessages:
    latest: list[Message]  # oldest first, newest at the bottom
    total: int
    unread: int


def messages_for_workspace(member: RelationshipMember) -> WorkspaceMessages:
    """The latest few messages (one query, with their authors) and how many there are and how
    many the member has not read (one query)."""
    messages = Message.objects.filter(relationship_id=member.relationship_id)
    latest = list(
        messages.select_related("author__participant__user").order_by("-created_at", "-pk")[
            :WORKSPACE_SHOWN
        ]
    )[::-1]
    counts = messages.aggregate(
        total=Count("pk"),
        unread=Count("pk", filter=Q(pk__gt=_read_up_to(member)) & ~Q(author=member)),
    )
    return WorkspaceMessages(latest, counts["total"], counts["unread"])


def with_unread_messages(
    relationships: QuerySet[Relationship], user: User
) -> QuerySet[Relationship]:
    """`relationships` annotated with `unread_messages`: what the others wrote that `user` has
    not read. A correlated subquery of the same query, so the page's query count stays put."""
    # How far `user` read in the outer relationship: of the relationship row, not of each
    # message row, so that the database reads it once per relationship, not once per message.
    read = MessageReadState.objects.filter(
        member__relationship_id=OuterRef(OuterRef("pk")), member__participant__user=user
    ).values("last_read_message_id")[:1]
    unread = (
        Message.objects.filter(relationship=OuterRef("pk"))
        .exclude(author__participant__user=user)
        .filter(pk__gt=Coalesce(Subquery(read, output_field=IntegerField()), Value(0)))
        .order_by()
        .values("relationship")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return relationships.annotate(
        unread_messages=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0))
    )


@dataclass(frozen=True)
class MessageCounts:
    """What the coordinator sees of a relationship's messages: how many, and when the latest
    came. No text, no author."""

    total: int
    latest_at: datetime.datetime | None


def message_counts_for_coordinator(relationship: Relationship) -> MessageCounts:
    counts = Message.objects.filter(relationship=relationship).aggregate(
        total=Count("pk"), latest_at=Max("created_at")
    )
    return MessageCounts(counts["total"], counts["latest_at"])
