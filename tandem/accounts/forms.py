from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.http import HttpRequest
from django.utils import timezone

from tandem.accounts.models import EMAIL_MAX_LENGTH, User, normalize_email
from tandem.accounts.throttling import client_address, email_send_allowed
from tandem.accounts.time_zones import time_zone_choices, validate_time_zone
from tandem.core.emails import email_after_commit


class SignupForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=150)
    email = forms.EmailField(label="Email address", max_length=EMAIL_MAX_LENGTH)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, locked_email: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locked_email = locked_email
        if locked_email:
            # An invitation proves the address: it is fixed, and an account it names is claimed.
            self.fields["email"].initial = locked_email
            self.fields["email"].disabled = True
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"

    def clean_email(self) -> str:
        # Whether the address has an account is never said here (the sign-up's email says it,
        # to the mailbox owner only): the form checks the address, not who holds it.
        return normalize_email(self.locked_email or self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            probe = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class VerifiedLoginForm(AuthenticationForm):
    """Log in, once the address is verified; the right password of an unverified one says so."""

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not user.email_verified:
            raise forms.ValidationError(
                "Confirm your email address first: open the link we emailed to %(email)s when "
                "you signed up. No email? Send the link again (below).",
                code="unverified",
                params={"email": user.email},
            )


class VerificationResendForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=EMAIL_MAX_LENGTH)


class VerifyingSetPasswordForm(SetPasswordForm):
    """Choosing a password by a reset link proves the mailbox: it verifies the address too."""

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=False)
        user.email_verified_at = user.email_verified_at or timezone.now()
        if commit:
            user.save(update_fields=["password", "email_verified_at"])
        return user


class QueuedPasswordResetForm(PasswordResetForm):
    """Password reset through the task worker; invited people without a password can use it.

    Throttled per address and per client address (`email_send_allowed`); over the limit the
    visitor sees the same page and nothing is sent.
    """

    def save(self, **kwargs: Any) -> None:  # type: ignore[override]  # the view passes keywords
        request: HttpRequest | None = kwargs.get("request")
        client = client_address(request) if request is not None else ""
        if email_send_allowed(address=self.cleaned_data["email"], client=client):
            super().save(**kwargs)

    def get_users(self, email: str) -> Iterator[User]:
        yield from User.objects.filter(email=normalize_email(email), is_active=True)

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        email_after_commit(
            template="password_reset",
            to=[to_email],
            context={
                "reset_path": f"/accounts/reset/{context['uid']}/{context['token']}/",
                "name": context["user"].display_name,
            },
        )


class AccountForm(forms.ModelForm):
    """A person's own settings: their name and the time zone every time is shown in."""

    time_zone = forms.CharField(
        label="Your time zone",
        max_length=64,
        help_text="Session times are shown to you in this zone, summer time included.",
        widget=forms.Select(attrs={"data-browser-time-zone": "fill"}),
    )

    class Meta:
        model = User
        fields = ["full_name", "time_zone"]
        labels = {"full_name": "Your name"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].widget.choices = [
            ("", "Choose your time zone"),
            *time_zone_choices(),
        ]
        self.fields["time_zone"].validators.append(validate_time_zone)
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"
