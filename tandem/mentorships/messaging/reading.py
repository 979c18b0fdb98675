"""What a member has read: opening the messages list marks everything shown as read."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tandem.mentorships.models import MessageReadState, RelationshipMember


def messages_mark_read(
    *, member: RelationshipMember, up_to_message_id: int, now: datetime.datetime | None = None
) -> int | None:
    """Mark the member's messages read up to `up_to_message_id`, never backwards (an older page
    opened later changes nothing). Returns how far they had read before (None: not at all)."""
    now = now or timezone.now()
    state = MessageReadState.objects.filter(member=member).first()
    if state is None:
        try:
            with transaction.atomic():
                MessageReadState.objects.create(
                    member=member, last_read_message_id=up_to_message_id, read_at=now
                )
            return None
        except IntegrityError:  # another tab made it meanwhile: move it on below
            state = MessageReadState.objects.get(member=member)
    MessageReadState.objects.filter(
        Q(last_read_message__isnull=True) | Q(last_read_message_id__lt=up_to_message_id),
        pk=state.pk,
    ).update(last_read_message_id=up_to_message_id, read_at=now)
    return state.last_read_message_id
