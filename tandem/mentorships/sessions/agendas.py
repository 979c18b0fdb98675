"""A session's agenda: started from the template suggested for that point of the relationship,
written by the mentee and sent to the partner(s) before the session.

Sending is a conditional UPDATE of `sent_at`, so the partner is told once however often the
button is pressed. An agenda sent after its due time (even after the session started) is
accepted and shows as late.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tandem.accounts.models import User
from tandem.mentorships.models import Agenda, Session, SessionStatus
from tandem.mentorships.sessions import notices
from tandem.mentorships.sessions.access import ensure_writable, session_of, writes_agendas
from tandem.mentorships.sessions.times import format_moment
from tandem.programs.models import AgendaMoment, AgendaTemplate

MAX_ANSWER = 5000
# Once the time is chosen, the agenda can still be written until the session is over.
WRITABLE_STATUSES = (SessionStatus.PROPOSED, SessionStatus.SCHEDULED)
# Past this share of the relationship's intended length, the closing template is suggested.
CLOSING_FROM = 0.85
MIDPOINT_FROM = 0.4


def suggested_template(
    templates: Sequence[AgendaTemplate],
    *,
    session_number: int,
    progress: float,
    used_template_ids: set[int],
) -> AgendaTemplate | None:
    """The template for this point of the relationship: its first session, its second, the
    mid-point (once), the end; otherwise one meant for any session, else the first."""
    first_of: dict[str, AgendaTemplate] = {}
    for template in templates:
        first_of.setdefault(template.moment, template)
    wanted = []
    if session_number == 1:
        wanted.append(AgendaMoment.FIRST)
    elif session_number == 2:
        wanted.append(AgendaMoment.SECOND)
    if progress >= CLOSING_FROM:
        wanted.append(AgendaMoment.CLOSING)
    midpoint = first_of.get(AgendaMoment.MIDPOINT)
    if progress >= MIDPOINT_FROM and midpoint is not None and midpoint.pk not in used_template_ids:
        wanted.append(AgendaMoment.MIDPOINT)
    wanted += [AgendaMoment.ANY, AgendaMoment.SECOND]
    for moment in wanted:
        if moment in first_of:
            return first_of[moment]
    return templates[0] if templates else None


def _session_moment(session: Session) -> datetime.datetime:
    if session.starts_at is not None:
        return session.starts_at
    first = min((o.starts_at for o in session.options.all()), default=None)
    return first or timezone.now()


def template_suggested_for(session: Session) -> AgendaTemplate | None:
    """The suggested template of a session, from its place among the relationship's sessions."""
    relationship = session.relationship
    earlier = (
        relationship.sessions.exclude(status=SessionStatus.CANCELLED)
        .filter(pk__lt=session.pk)
        .count()
    )
    start = relationship.started_on
    length = max((relationship.intended_end_on - start).days, 1)
    progress = (_session_moment(session).date() - start).days / length
    used = set(
        Agenda.objects.filter(session__relationship=relationship, template__isnull=False)
        .exclude(session=session)
        .values_list("template_id", flat=True)
    )
    return suggested_template(
        list(relationship.program.agenda_templates.all()),
        session_number=earlier + 1,
        progress=progress,
        used_template_ids={t for t in used if t is not None},
    )


DEFAULT_PROMPTS = ["What I would like to talk about"]


def agenda_draft_for(session: Session, template: AgendaTemplate | None) -> Agenda:
    """An unsaved agenda started from `template` (the page shows it before anything is saved)."""
    if template is None:
        return Agenda(session=session, title="", prompts=list(DEFAULT_PROMPTS), answers=[])
    return Agenda(
        session=session, template=template, title=template.title, prompts=list(template.prompts)
    )


@dataclass
class AgendaSaved:
    agenda: Agenda
    sent_now: bool


@transaction.atomic
def agenda_save(
    *,
    session_id: int,
    user: User,
    answers: Sequence[str],
    template_id: int | None = None,
    send: bool = False,
    now: datetime.datetime | None = None,
) -> AgendaSaved:
    """The mentee saves the agenda's answers, and with `send` sends it to the partner(s).

    Started from `template_id` (one of the program's) when new; a sent agenda no longer
    changes (the same answers again, a double-submitted send, change nothing).
    """
    now = now or timezone.now()
    session, member = session_of(user, session_id, lock=True)
    relationship = member.relationship
    ensure_writable(relationship)
    if not writes_agendas(member):
        raise ValidationError("The mentee writes and sends the agenda; you will see it then.")
    if session.status not in WRITABLE_STATUSES:
        raise ValidationError(
            f"This session is {session.get_status_display().lower()}: its agenda stays as it is."
        )
    agenda = Agenda.objects.filter(session=session).first()
    cleaned = [answer.strip()[:MAX_ANSWER] for answer in answers]
    if agenda is None:
        template = None
        if template_id is not None:
            template = relationship.program.agenda_templates.filter(pk=template_id).first()
            if template is None:
                raise ValidationError({"template": "Choose one of the program's templates."})
        agenda = agenda_draft_for(session, template)
        agenda.written_by = user
    if agenda.sent_at is not None:
        if cleaned == list(agenda.answers)[: len(cleaned)]:
            return AgendaSaved(agenda, sent_now=False)
        raise ValidationError("The agenda was sent already: it cannot change now.")
    if len(cleaned) != len(agenda.prompts):
        raise ValidationError("Answer the agenda's own prompts.")
    if send and not any(cleaned):
        raise ValidationError({"answer_1": "Write something before you send the agenda."})
    agenda.answers = cleaned
    agenda.written_by = user
    agenda.save()
    sent_now = False
    if send:
        sent_now = bool(
            Agenda.objects.filter(pk=agenda.pk, sent_at__isnull=True).update(
                sent_at=now, sent_by=user, updated_at=now
            )
        )
        agenda.refresh_from_db()
    if sent_now:
        session.relationship = relationship
        for person in notices.others(notices.current_members(session), user):
            when = (
                format_moment(session.starts_at, person.zone)
                if session.starts_at is not None
                else "your next session"
            )
            notices.tell_and_email(
                [person],
                kind="agenda_received",
                subject=f"{user.display_name} sent the agenda for {when}",
                text=f"{user.display_name} sent the agenda for {when}. Read it before you meet.",
                url=notices.session_path(session),
                action="Read the agenda",
            )
    return AgendaSaved(agenda, sent_now)
