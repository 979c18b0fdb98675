"""A session's notes: the shared notes every member edits, and each person's private notes.

Shared notes carry a version: a save names the version it was based on and is applied by a
conditional UPDATE (`version = old`), so two members editing at once never overwrite each other.
Private notes are their author's alone (PRODUCT.md privacy table): no one else reads them, not
the partner, not the coordinator.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from tandem.mentorships.models.sessions import Session

# Long enough for an hour's notes; a limit so that one paste cannot fill the database.
MAX_NOTE_CHARS = 20_000


class SessionNotes(models.Model):
    """The notes every member of the relationship writes together, one row per session."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="shared_notes")
    text = models.TextField(blank=True)
    # Rises by one with every save; a save based on an older version is refused.
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "session notes"

    def __str__(self) -> str:
        return f"Shared notes of session {self.session_id} (version {self.version})"


class PrivateNote(models.Model):
    """One person's own notes on a session."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="private_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="private_session_notes"
    )
    text = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "author"], name="private_note_one_per_author"
            ),
        ]

    def __str__(self) -> str:
        return f"Private note of {self.author_id} on session {self.session_id}"
