"""Authentication backend: only accounts whose address is verified have a session."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from tandem.accounts.models import User


class VerifiedEmailBackend(ModelBackend):
    """Django's backend, except that a session of an unverified account counts as logged out.

    Logging in itself is refused with a clear message by the login form
    (`VerifiedLoginForm.confirm_login_allowed`); this also ends sessions that began before
    verification existed, so an address claimed by someone else sees nothing of a program.
    """

    def get_user(self, user_id: Any) -> User | None:
        user = super().get_user(user_id)
        if isinstance(user, User) and user.email_verified:
            return user
        return None
