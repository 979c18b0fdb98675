"""Login throttling (django-axes): which account a login attempt is for.

The login form posts the address as `username`, while axes by default looks for the user
model's USERNAME_FIELD (`email`): failures were then recorded without an account and a locked
account could still log in. Addresses are also one identity whatever their case, so an attacker
must not get fresh attempts by writing MIA@ instead of mia@.

Wired in settings: AXES_USERNAME_CALLABLE = "tandem.accounts.throttling.lockout_username".
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tandem.accounts.models import normalize_email


def lockout_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The normalized address an attempt is for, from the credentials or the posted form."""
    credentials = credentials or {}
    # Failures come from Django's signal ("username"); checks from axes' backend ("email").
    raw = credentials.get("username") or credentials.get("email")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    return normalize_email(str(raw)) if raw else None
