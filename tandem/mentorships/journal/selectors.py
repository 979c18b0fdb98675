"""Reads of what members wrote about a session, for its page: only what the viewer may see.

The shared notes (every member), the viewer's own private note and reflection, and the
reflections other members chose to share. Another member's private note or private reflection
is never read from the database for this page. Three queries, whatever the number of members.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from tandem.accounts.models import User
from tandem.mentorships.journal.reflections import reflection_due, reflection_prompts_for
from tandem.mentorships.models import (
    PrivateNote,
    Reflection,
    RelationshipMember,
    Session,
    SessionNotes,
)


@dataclass(frozen=True)
class SessionJournal:
    shared_notes: SessionNotes | None
    private_note: PrivateNote | None
    my_reflection: Reflection | None
    # The prompts the viewer's reflection asks (its own, once written; else the program's).
    reflection_prompts: list[str]
    partners_reflections: list[Reflection]
    reflection_open: bool

    @property
    def notes_version(self) -> int:
        return self.shared_notes.version if self.shared_notes else 0


def session_journal_for(user: User, session: Session, member: RelationshipMember) -> SessionJournal:
    """What `user` (a current member, as `member`) sees written about `session`."""
    shared = SessionNotes.objects.select_related("updated_by").filter(session=session).first()
    private = PrivateNote.objects.filter(session=session, author=user).first()
    reflections = list(
        Reflection.objects.filter(session=session)
        .filter(Q(author=user) | Q(shared=True))
        .select_related("author")
        .order_by("written_at", "pk")
    )
    mine = next((r for r in reflections if r.author_id == user.pk), None)
    prompts = list(mine.prompts) if mine else reflection_prompts_for(member.relationship.program)
    return SessionJournal(
        shared_notes=shared,
        private_note=private,
        my_reflection=mine,
        reflection_prompts=prompts,
        partners_reflections=[r for r in reflections if r.author_id != user.pk],
        reflection_open=reflection_due(session),
    )


def has_reflected(user: User, session_id: int) -> bool:
    return Reflection.objects.filter(session_id=session_id, author=user).exists()
