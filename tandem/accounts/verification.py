"""Email verification links: signed, expiring, and spent once the address is verified.

A link names the account and a fingerprint of its password, address and verification time:
verifying, or any change of password (a reset, an invitation that voids a stranger's password),
makes every earlier link worthless. It carries the page to continue to after verifying.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

from tandem.accounts.models import User

_SALT = "tandem.accounts.email_verification"


def _fingerprint(user: User) -> str:
    value = f"{user.pk}:{user.email}:{user.password}:{user.email_verified_at}"
    return salted_hmac(_SALT, value).hexdigest()[:32]


def verification_token(user: User, next_path: str = "") -> str:
    """The token of a link that verifies `user`'s address, then continues to `next_path`."""
    return signing.dumps({"u": user.pk, "f": _fingerprint(user), "n": next_path}, salt=_SALT)


@dataclass(frozen=True)
class Verification:
    user: User
    next_path: str


def verification_for_token(token: str) -> Verification | None:
    """The account a token verifies, or None if it is forged, expired, spent or outdated."""
    max_age = timedelta(days=settings.EMAIL_VERIFICATION_MAX_AGE_DAYS)
    try:
        data = signing.loads(token, salt=_SALT, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    if user is None or user.email_verified:
        return None
    if not constant_time_compare(str(data.get("f", "")), _fingerprint(user)):
        return None
    return Verification(user=user, next_path=str(data.get("n") or ""))
