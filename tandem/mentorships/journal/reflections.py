"""Reflections on a held session: every member writes their own (mentor included), private by
default, shared with the partner(s) by a per-reflection toggle. Never shown to the coordinator.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.mentorships.models import Reflection, Session, SessionStatus
from tandem.mentorships.models.notes import MAX_NOTE_CHARS
from tandem.mentorships.sessions import notices
from tandem.mentorships.sessions.access import ensure_writable, session_of
from tandem.programs.models import Program, reflection_prompt_lines

# Asked of every member after every session (PRODUCT.md rule 5: two-way).
STANDARD_PROMPTS = ("What did I learn from my partner?", "What will I do before next time?")


def reflection_prompts_for(program: Program) -> list[str]:
    """The two prompts every program asks, then the program's own (one per line)."""
    own = reflection_prompt_lines(program.reflection_prompts)
    return [*STANDARD_PROMPTS, *(p for p in own if p not in STANDARD_PROMPTS)]


def reflection_due(session: Session) -> bool:
    """A reflection is asked for once the session was held."""
    return session.status == SessionStatus.HELD


@transaction.atomic
def reflection_save(
    *,
    session_id: int,
    user: User,
    answers: Sequence[str],
    shared: bool = False,
    now: datetime.datetime | None = None,
) -> Reflection | None:
    """Write (or rewrite) the member's reflection on a held session; `shared` shows it to the
    partner(s). All answers empty clears it (returns None). One row per member and session:
    the session's row is locked first, so a double-submitted form writes once."""
    now = now or timezone.now()
    session, member = session_of(user, session_id, lock=True)
    relationship = member.relationship
    ensure_writable(relationship)
    if not reflection_due(session):
        raise ValidationError(
            "You reflect on a session once it has taken place: mark it as held first."
        )
    existing = Reflection.objects.filter(session=session, author=user).first()
    prompts = list(existing.prompts) if existing else reflection_prompts_for(relationship.program)
    if len(answers) != len(prompts):
        raise ValidationError("Answer the reflection's own prompts (reload the page).")
    cleaned = [answer.replace("\r\n", "\n").strip() for answer in answers]
    for number, answer in enumerate(cleaned, start=1):
        if len(answer) > MAX_NOTE_CHARS:
            raise ValidationError(
                {
                    f"answer_{number}": f"An answer is at most {MAX_NOTE_CHARS:,} characters; "
                    f"this one is {len(answer):,}."
                }
            )
    if not any(cleaned):
        if shared:
            raise ValidationError({"shared": "Write something before you share your reflection."})
        if existing is not None:
            existing.delete()
        return None
    reflection = existing or Reflection(
        session=session, author=user, prompts=prompts, written_at=now
    )
    told = reflection.first_shared_at is not None
    reflection.answers = cleaned
    reflection.shared = shared
    reflection.updated_at = now
    if shared and not told:
        reflection.first_shared_at = now
    reflection.save()
    if shared and not told:
        session.relationship = relationship
        notices.tell(
            notices.others(notices.current_members(session), user),
            kind="reflection_shared",
            text=f"{user.display_name} shared their reflection on a session with you.",
            url=notices.session_path(session),
        )
    return reflection
