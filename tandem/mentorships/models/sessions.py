"""Sessions of a relationship: proposed with time options, scheduled, then held or not; and
the agenda the mentee sends before each one.

Every time is stored in UTC; pages and emails show it in the viewer's own zone.
"""

from __future__ import annotations

import datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from tandem.core.models import TimeStampedModel
from tandem.mentorships.models.relationships import Relationship
from tandem.programs.models import AgendaTemplate


class SessionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"
    MISSED = "missed", "Missed"


# A session still to come: its time is being chosen, or is chosen.
UPCOMING_STATUSES = (SessionStatus.PROPOSED, SessionStatus.SCHEDULED)
# States that hold a chosen time.
TIMED_STATUSES = (SessionStatus.SCHEDULED, SessionStatus.HELD, SessionStatus.MISSED)


class SessionQuerySet(models.QuerySet["Session"]):
    def upcoming(self) -> SessionQuerySet:
        return self.filter(status__in=UPCOMING_STATUSES)


class Session(TimeStampedModel):
    """One meeting of a relationship's members, from its proposal to what became of it."""

    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="sessions"
    )
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.PROPOSED
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    place = models.CharField("place or video link", max_length=300, blank=True)
    # Who proposed the time options now open; the others pick one or propose others.
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    response_note = models.TextField(blank=True, help_text="Why the last options were declined.")
    cancel_reason = models.TextField(blank=True)
    # Held outside Tandem and logged afterwards ("we met on …").
    logged = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # From the form that created it: a second submission of the same form finds this row.
    idempotency_key = models.CharField(max_length=64, blank=True)
    # Fixed when the time is chosen, from the program's agenda_due_hours at that moment.
    agenda_due_at = models.DateTimeField(null=True, blank=True)
    # Claimed by a conditional UPDATE before the one reminder is sent.
    agenda_reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Rises with every change of time or state (for calendar files).
    sequence = models.PositiveIntegerField(default=0)

    objects: ClassVar[SessionQuerySet] = SessionQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["relationship", "starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="session_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="session_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=TIMED_STATUSES) | Q(starts_at__isnull=False),
                name="session_timed_when_scheduled",
            ),
            models.UniqueConstraint(
                fields=["relationship", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="session_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["relationship", "status", "starts_at"]),
            models.Index(fields=["status", "agenda_due_at"], name="session_agenda_due"),
        ]

    def __str__(self) -> str:
        return f"Session {self.pk} of relationship {self.relationship_id}"

    @property
    def is_upcoming(self) -> bool:
        return self.status in UPCOMING_STATUSES

    def has_started(self, now: datetime.datetime) -> bool:
        return self.starts_at is not None and self.starts_at <= now

    @property
    def minutes(self) -> int | None:
        if self.starts_at is None or self.ends_at is None:
            return None
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class SessionOption(models.Model):
    """One of the one to three times proposed for a session."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="options")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # Set when the partner declined this round of options (they proposed others).
    declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_option_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Option {self.pk} of session {self.session_id}"

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class Agenda(TimeStampedModel):
    """What the mentee wants to talk about, written from a template and sent before the session.

    Members only: the coordinator learns that it was sent, and whether in time, never what it
    says (PRODUCT.md privacy table).
    """

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="agenda")
    template = models.ForeignKey(
        AgendaTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200, blank=True)
    # Copied from the template when the agenda is started: editing the template later
    # does not change an agenda written from it.
    prompts = models.JSONField(default=list)
    answers = models.JSONField(default=list)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Agenda of session {self.session_id}"

    @property
    def items(self) -> list[tuple[str, str]]:
        """(prompt, answer) pairs in order."""
        answers = list(self.answers) + [""] * (len(self.prompts) - len(self.answers))
        return list(zip(self.prompts, answers, strict=False))


def agenda_sent_on_time(
    sent_at: datetime.datetime | None, due_at: datetime.datetime | None
) -> bool | None:
    """True when sent by the due time (or before any time was chosen); None when not sent."""
    if sent_at is None:
        return None
    return due_at is None or sent_at <= due_at


class SessionNudge(models.Model):
    """The one "time to plan your next session" nudge a relationship's mentees get for a gap:
    `after` is the moment the gap began (the last held session's end, the match, or the
    resume). Its unique row is the claim, inserted with the notices in one transaction."""

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="+")
    after = models.DateTimeField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["relationship", "after"], name="session_nudge_once"),
        ]

    def __str__(self) -> str:
        return f"Nudge of relationship {self.relationship_id} after {self.after:%Y-%m-%d}"
