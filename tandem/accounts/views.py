from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from tandem.accounts import services
from tandem.accounts.forms import AccountForm, SignupForm, VerificationResendForm
from tandem.accounts.http import request_user
from tandem.accounts.throttling import client_address
from tandem.accounts.verification import verification_for_token

# Every login made by Tandem itself (a verification link, an invitation) goes through this one.
LOGIN_BACKEND = "tandem.accounts.backends.VerifiedEmailBackend"


def _allowed(request: HttpRequest, target: str) -> bool:
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def safe_next(request: HttpRequest, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if _allowed(request, target) else reverse(default)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Ask for an account: the answer is "check your inbox", whether the address is known or not."""
    if request.user.is_authenticated:
        return redirect(safe_next(request))
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_sign_up(
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            password=form.cleaned_data["password1"],
            next_path=safe_next(request),
            client=client_address(request),
        )
        return redirect("signup_sent")
    return render(request, "registration/signup.html", {"form": form, "next": safe_next(request)})


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/signup_sent.html")


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the sign-up email: a button verifies the address and logs in.

    A button, not the GET itself: mail scanners open links, and must neither spend the link
    nor receive the session.
    """
    verification = verification_for_token(token)
    if verification is None:
        return render(request, "registration/verify_email.html", {"invalid": True}, status=400)
    if request.method == "POST":
        user = services.user_verify_email(user=verification.user)
        login(request, user, backend=LOGIN_BACKEND)
        target = verification.next_path
        return redirect(target if _allowed(request, target) else reverse("home"))
    return render(request, "registration/verify_email.html", {"email": verification.user.email})


@require_http_methods(["GET", "POST"])
def verification_resend(request: HttpRequest) -> HttpResponse:
    form = VerificationResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_verification_resend(
            email=form.cleaned_data["email"], client=client_address(request)
        )
        return redirect("signup_sent")
    return render(request, "registration/verification_resend.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The person's own settings: name and time zone. `next` leads back where they were asked."""
    user = request_user(request)
    form = AccountForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        services.user_update_account(
            user=user,
            full_name=form.cleaned_data["full_name"],
            time_zone=form.cleaned_data["time_zone"],
        )
        messages.success(request, "Your settings are saved.")
        return redirect(safe_next(request, default="account"))
    target = request.POST.get("next") or request.GET.get("next") or ""
    return render(
        request,
        "registration/account.html",
        {"form": form, "next": target if _allowed(request, target) else ""},
    )
