"""The health page's one-click actions that are its own: a nudge to a quiet relationship. (A
check-in now, a pause and a conclusion are the support and lifecycle services.)"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from tandem.accounts.models import User
from tandem.health.models import CoordinatorNudge
from tandem.mentorships.models import MemberRole, Relationship, RelationshipStatus
from tandem.mentorships.sessions.notices import tell_and_email
from tandem.programs.models import ParticipantStatus


@transaction.atomic
def relationship_nudge(
    *,
    relationship: Relationship,
    user: User,
    quiet_since: object,
    idempotency_key: str = "",
) -> CoordinatorNudge:
    """Email the mentees of a quiet relationship (a templated note, no words of theirs); a
    second nudge in the same quiet spell goes to the mentor too. The same click twice is one
    nudge."""
    key = idempotency_key[:64]
    if key:
        existing = CoordinatorNudge.objects.filter(sent_by=user, idempotency_key=key).first()
        if existing is not None:
            return existing
    locked = Relationship.objects.select_for_update().get(pk=relationship.pk)
    if locked.status != RelationshipStatus.ACTIVE:
        raise ValidationError("Only an active relationship can be nudged.")
    earlier = CoordinatorNudge.objects.filter(relationship=locked, sent_at__gte=quiet_since)
    to_mentor = earlier.exists()
    try:
        with transaction.atomic():
            nudge = CoordinatorNudge.objects.create(
                relationship=locked, sent_by=user, to_mentor=to_mentor, idempotency_key=key
            )
    except IntegrityError:
        return CoordinatorNudge.objects.get(sent_by=user, idempotency_key=key)
    members = locked.members.select_related("participant__user").filter(
        participant__status=ParticipantStatus.JOINED
    )
    people = [m.participant.user for m in members if to_mentor or m.role != MemberRole.MENTOR]
    tell_and_email(
        people,
        kind="session_nudge_coordinator",
        subject="Time to meet again?",
        text="Your coordinator noticed your mentoring has been quiet for a while. Propose two "
        "or three times for your next session: a short one is fine.",
        url=reverse("mentorships:session_propose", args=[locked.pk]),
        action="Propose a time",
    )
    return nudge
