"""Saving a session's notes and reflections from its page. Each view fetches through `access`
(404 for anyone not, or no longer, a member), calls one service, and on a refusal shows the
session page again with the form as it was sent (nothing typed is lost)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from tandem.accounts.http import request_user as _user
from tandem.mentorships import feedback
from tandem.mentorships.journal import notes, reflections
from tandem.mentorships.journal.forms import PrivateNoteForm, ReflectionForm, SharedNotesForm
from tandem.mentorships.journal.selectors import session_journal_for
from tandem.mentorships.sessions import access
from tandem.mentorships.sessions.views import session_page


def _back(session_id: int, anchor: str) -> HttpResponse:
    return redirect(reverse("mentorships:session", args=[session_id]) + f"#{anchor}")


@login_required
@require_POST
def shared_notes_save(request: HttpRequest, session_id: int) -> HttpResponse:
    """Save the shared notes; a save based on an old version shows both versions."""
    user = _user(request)
    session, member = access.session_of(user, session_id)
    form = SharedNotesForm(request.POST)
    if form.is_valid():
        try:
            notes.shared_notes_save(
                session_id=session_id,
                user=user,
                text=form.cleaned_data["text"],
                based_on_version=form.cleaned_data["version"],
            )
        except notes.NotesConflict as conflict:
            # Your text stays in the box, now based on the current version: saving again
            # (after merging) is a decision, not an accident.
            data = {"shared-text": conflict.yours, "shared-version": conflict.current.version}
            form = SharedNotesForm(data)
            form.is_valid()
            feedback.attach(form, conflict)
            return session_page(
                request, session, member, forms={"shared_form": form}, conflict=conflict
            )
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            messages.success(request, "The shared notes are saved.")
            return _back(session_id, "shared-notes")
    return session_page(request, session, member, forms={"shared_form": form})


@login_required
@require_POST
def private_note_save(request: HttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    session, member = access.session_of(user, session_id)
    form = PrivateNoteForm(request.POST)
    if form.is_valid():
        try:
            notes.private_note_save(
                session_id=session_id, user=user, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            messages.success(request, "Your private notes are saved. Only you can see them.")
            return _back(session_id, "private-notes")
    return session_page(request, session, member, forms={"private_form": form})


@login_required
@require_POST
def reflection_save(request: HttpRequest, session_id: int) -> HttpResponse:
    """Write, rewrite, share or stop sharing my reflection on a held session."""
    user = _user(request)
    session, member = access.session_of(user, session_id)
    journal = session_journal_for(user, session, member)
    form = ReflectionForm(request.POST, prompts=journal.reflection_prompts)
    if form.is_valid():
        try:
            saved = reflections.reflection_save(
                session_id=session_id,
                user=user,
                answers=form.answers(),
                shared=form.cleaned_data["shared"],
            )
        except ValidationError as error:
            feedback.attach(form, error)
        else:
            if saved is None:
                messages.success(request, "Your reflection is cleared.")
            elif saved.shared:
                messages.success(request, "Your reflection is saved and shared with your partner.")
            else:
                messages.success(request, "Your reflection is saved. Only you can see it.")
            return _back(session_id, "reflection")
    return session_page(request, session, member, forms={"reflection_form": form})
