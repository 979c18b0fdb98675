"""Writing a session's notes: the shared notes (every member, optimistic concurrency) and each
person's private notes.

A shared-notes save names the version it was based on and is a conditional UPDATE
(`WHERE version = old`): of two members who started from the same version, the second save
matches no row and is refused with the current text beside theirs, so nothing is lost. On
PostgreSQL the second UPDATE waits for the first's row lock, then re-reads the version; SQLite
serializes writers: both are race-safe.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tandem.accounts.models import User
from tandem.mentorships.models import PrivateNote, SessionNotes
from tandem.mentorships.models.notes import MAX_NOTE_CHARS
from tandem.mentorships.sessions.access import ensure_writable, session_of


def clean_note(text: str, *, field: str = "text") -> str:
    """Trailing whitespace trimmed; refused past the limit (saying how long it is)."""
    text = text.replace("\r\n", "\n").rstrip()
    if len(text) > MAX_NOTE_CHARS:
        raise ValidationError(
            {
                field: f"Notes are at most {MAX_NOTE_CHARS:,} characters; "
                f"these are {len(text):,}. Shorten them, or keep the rest elsewhere."
            }
        )
    return text


class NotesConflict(ValidationError):
    """Someone saved the shared notes after the version this save was based on."""

    def __init__(self, *, current: SessionNotes, yours: str) -> None:
        who = current.updated_by.display_name if current.updated_by else "Someone"
        super().__init__(
            {
                "text": f"{who} saved these notes while you were editing, so yours were not "
                "saved. Nothing is lost: their version and yours are both below. Merge them "
                "and save again."
            },
        )
        self.current = current
        self.yours = yours


@dataclass(frozen=True)
class NotesSaved:
    notes: SessionNotes
    changed: bool


@transaction.atomic
def shared_notes_save(
    *,
    session_id: int,
    user: User,
    text: str,
    based_on_version: int,
    now: datetime.datetime | None = None,
) -> NotesSaved:
    """Save the session's shared notes, if nobody saved since `based_on_version`.

    An empty text clears them. A stale save whose text is what is saved already (a
    double-submitted form) succeeds without change; any other stale save raises
    NotesConflict, carrying the current notes and the text that was not saved.
    """
    now = now or timezone.now()
    session, member = session_of(user, session_id)
    ensure_writable(member.relationship)
    text = clean_note(text)
    if based_on_version < 0:
        raise ValidationError({"version": "The form's version is missing: reload the page."})
    notes, _ = SessionNotes.objects.get_or_create(session=session)
    saved = SessionNotes.objects.filter(pk=notes.pk, version=based_on_version).update(
        text=text, version=F("version") + 1, updated_by=user, updated_at=now
    )
    current = SessionNotes.objects.select_related("updated_by").get(pk=notes.pk)
    if saved:
        return NotesSaved(current, changed=True)
    if current.text == text:
        return NotesSaved(current, changed=False)
    raise NotesConflict(current=current, yours=text)


@transaction.atomic
def private_note_save(
    *, session_id: int, user: User, text: str, now: datetime.datetime | None = None
) -> PrivateNote:
    """Save the person's own notes on the session (empty clears them). One row per person and
    session, however often the form is sent."""
    now = now or timezone.now()
    session, member = session_of(user, session_id)
    ensure_writable(member.relationship)
    text = clean_note(text)
    note, _ = PrivateNote.objects.update_or_create(
        session=session, author=user, defaults={"text": text, "updated_at": now}
    )
    return note
