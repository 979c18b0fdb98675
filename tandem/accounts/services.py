"""Writes for accounts: sign-up and its verification, invited accounts, notifications."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User, normalize_email
from tandem.accounts.throttling import email_send_allowed
from tandem.accounts.verification import verification_token
from tandem.core.emails import email_after_commit


def _verification_email(user: User, next_path: str) -> None:
    email_after_commit(
        template="verify_email",
        to=[user.email],
        context={
            "name": user.display_name,
            "verify_path": reverse("verify_email", args=[verification_token(user, next_path)]),
        },
    )


@transaction.atomic
def user_sign_up(*, email: str, full_name: str, password: str, next_path: str, client: str) -> None:
    """Start a sign-up. Nothing in the outcome tells the visitor whether the address is known.

    A new address gets an unverified account and an email with a link that verifies it; an
    address with an account gets an email to its owner saying someone tried to sign up, with
    links to log in and to reset the password, and nothing else changes. Over the email
    throttle nothing happens at all.
    """
    address = normalize_email(email)
    # Hashed whichever way it goes, so that both take as long.
    password_hash = make_password(password)
    if not email_send_allowed(address=address, client=client):
        return
    existing = User.objects.filter(email=address).first()
    if existing is None:
        try:
            with transaction.atomic():
                user = User.objects.create(
                    email=address, full_name=full_name, password=password_hash
                )
        except IntegrityError:  # the same address signing up twice at once
            return
        _verification_email(user, next_path)
        return
    login_path = reverse("login")
    if next_path:
        login_path = f"{login_path}?{urlencode({'next': next_path})}"
    email_after_commit(
        template="signup_existing_account",
        to=[existing.email],
        context={
            "name": existing.display_name,
            "login_path": login_path,
            "reset_path": reverse("password_reset"),
        },
    )


@transaction.atomic
def user_verification_resend(*, email: str, client: str) -> None:
    """Send a fresh verification link to an unverified account that has a password.

    Silent otherwise (unknown, verified or invited address, or over the email throttle).
    """
    address = normalize_email(email)
    if not email_send_allowed(address=address, client=client):
        return
    user = User.objects.filter(
        email=address, is_active=True, email_verified_at__isnull=True
    ).first()
    if user is not None and user.has_usable_password():
        _verification_email(user, "")


@transaction.atomic
def user_verify_email(*, user: User) -> User:
    """Mark `user`'s address as theirs: they opened a link sent to it."""
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


@transaction.atomic
def user_claim_invitation(*, user: User, full_name: str, password: str) -> User:
    """An invited person, arriving by the link emailed to them, chooses their password.

    The link proves the mailbox, so this verifies the address and replaces any password set
    before (by a sign-up nobody verified, possibly someone else's).
    """
    user.full_name = full_name or user.full_name
    user.set_password(password)
    user.email_verified_at = user.email_verified_at or timezone.now()
    user.save(update_fields=["full_name", "password", "email_verified_at"])
    return user


@transaction.atomic
def user_sign_up_by_invitation(*, email: str, full_name: str, password: str) -> User | None:
    """An account for the address an invitation link was emailed to, verified by that link.

    Creates it, or claims an unverified one (replacing whatever password its sign-up set).
    Returns None for an address whose owner has verified it already: they log in instead.
    """
    address = normalize_email(email)
    user = User.objects.select_for_update().filter(email=address).first()
    if user is None:
        return User.objects.create_user(
            address, password, full_name=full_name, email_verified_at=timezone.now()
        )
    if user.email_verified and user.has_usable_password():
        return None
    return user_claim_invitation(user=user, full_name=full_name, password=password)


def users_void_unverified(users: Iterable[User]) -> None:
    """Unverified accounts claimed by a coordinator's import or invitation lose their password.

    Whoever signed up with the address never proved it: their password and the name they chose
    become worthless (the sign-up's verification links with them), and only the mailbox owner
    gets in, by the invitation link or a password reset. Changes the given instances too.
    Caller holds the transaction.
    """
    voided = [u for u in users if not u.email_verified and u.has_usable_password()]
    for user in voided:
        user.set_unusable_password()
        user.full_name = ""
    User.objects.bulk_update(voided, ["password", "full_name"], batch_size=1000)


def notifications_mark_read(*, user: User, url: str) -> int:
    """Mark a person's unread notifications pointing at `url` as read (on visiting it)."""
    return user.notifications.unread().filter(url=url).update(read_at=timezone.now())


@transaction.atomic
def user_update_account(*, user: User, full_name: str, time_zone: str) -> User:
    """Save a person's own settings; the time zone must be a known IANA name."""
    user.full_name = full_name.strip()
    user.time_zone = time_zone
    user.full_clean(validate_unique=False, exclude=["password"])
    user.save(update_fields=["full_name", "time_zone"])
    return user
