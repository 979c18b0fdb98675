"""A person's notifications: the list (with the unread count in the header), and their email
choices."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts import preferences
from tandem.accounts.http import request_user
from tandem.accounts.models import NotificationSettings, User

PER_PAGE = 30


def unread_count(request: HttpRequest) -> dict[str, object]:
    """The header's unread count: one query, only on pages that show it, only when logged in."""

    def count() -> int:
        user = request.user
        if not user.is_authenticated:
            return 0
        return user.notifications.unread().count()

    return {"unread_notifications": SimpleLazyObject(count)}


class NotificationSettingsForm(forms.Form):
    email_on = forms.MultipleChoiceField(
        label="Email me about",
        required=False,
        choices=list(preferences.EMAIL_GROUPS.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text="Everything also appears in your notifications here. Account emails "
        "(password reset, invitations) always come.",
    )
    message_digest = forms.ChoiceField(
        label="New messages by email",
        choices=preferences.DIGEST_CHOICES,
        widget=forms.RadioSelect,
    )


@transaction.atomic
def notification_settings_update(*, user: User, email_on: list[str], message_digest: str) -> None:
    off = sorted(set(preferences.EMAIL_GROUPS) - set(email_on))
    NotificationSettings.objects.update_or_create(
        user=user, defaults={"email_off": off, "message_digest": message_digest}
    )


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    page = Paginator(user.notifications.order_by("-created_at", "-id"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "registration/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    marked = user.notifications.unread().update(read_at=timezone.now())
    messages.success(request, f"Marked {marked} notification{'s' if marked != 1 else ''} read.")
    return redirect("notifications")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    current = NotificationSettings.objects.filter(user=user).first()
    initial: dict[str, Any] = {
        "email_on": [
            g for g in preferences.EMAIL_GROUPS if not current or g not in current.email_off
        ],
        "message_digest": current.message_digest if current else preferences.HOURLY,
    }
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        notification_settings_update(
            user=user,
            email_on=form.cleaned_data["email_on"],
            message_digest=form.cleaned_data["message_digest"],
        )
        messages.success(request, "Your email choices are saved.")
        return redirect("notification_settings")
    return render(request, "registration/notification_settings.html", {"form": form})
