from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.forms import SignupForm
from tandem.accounts.http import request_user as _user
from tandem.accounts.services import user_sign_up_by_invitation
from tandem.accounts.views import LOGIN_BACKEND
from tandem.organizations import selectors, services
from tandem.organizations.forms import CoordinatorInviteForm, MembershipRoleForm
from tandem.organizations.models import CoordinatorInvitation, Role


@login_required
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, organization_id: int) -> HttpResponse:
    organization = selectors.get_organization_for_admin(_user(request), organization_id)
    form = CoordinatorInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.coordinator_invite(
                organization=organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=_user(request),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("organizations:members", organization.pk)
    return render(
        request,
        "organizations/members.html",
        {
            "organization": organization,
            "memberships": selectors.memberships_for_organization(organization),
            "pending": organization.coordinator_invitations.filter(accepted_at__isnull=True),
            "form": form,
            "role_form": MembershipRoleForm(),
        },
    )


@login_required
@require_POST
def member_role(request: HttpRequest, organization_id: int, membership_id: int) -> HttpResponse:
    organization = selectors.get_organization_for_admin(_user(request), organization_id)
    membership = organization.memberships.select_related("user").filter(pk=membership_id).first()
    if membership is None:
        raise Http404("No such member.")
    form = MembershipRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role from the list.")
    else:
        try:
            services.membership_set_role(
                membership=membership, role=form.cleaned_data["role"], actor=_user(request)
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{membership.user.display_name}'s role is changed.")
            if membership.user_id == request.user.pk and form.cleaned_data["role"] != Role.ADMIN:
                return redirect("home")  # an admin who stepped down can no longer see the page
    return redirect("organizations:members", organization.pk)


def _invitation(token: str) -> CoordinatorInvitation:
    invitation = (
        CoordinatorInvitation.objects.select_related("organization").filter(token=token).first()
    )
    if invitation is None:
        raise Http404("This invitation does not exist.")
    return invitation


@require_http_methods(["GET", "POST"])
def invitation_signup(request: HttpRequest, token: str) -> HttpResponse:
    """Create an account from the invitation link: it was emailed to the invited address, so
    it verifies that address (and no other: the address is fixed)."""
    invitation = _invitation(token)
    accept = reverse("organizations:accept_invitation", args=[token])
    if request.user.is_authenticated:
        return redirect(accept)
    if invitation.accepted_at is not None or invitation.expired:
        problem = "This invitation has been used or has expired. Ask the admin for a new one."
        return render(
            request,
            "organizations/invitation_accept.html",
            {"invitation": invitation, "problem": problem},
            status=403,
        )
    form = SignupForm(request.POST or None, locked_email=invitation.email)
    if request.method == "POST" and form.is_valid():
        user = user_sign_up_by_invitation(
            email=invitation.email,
            full_name=form.cleaned_data["full_name"],
            password=form.cleaned_data["password1"],
        )
        if user is None:  # the address's owner has an account: they log in
            return redirect(f"{reverse('login')}?next={accept}")
        login(request, user, backend=LOGIN_BACKEND)
        return redirect(accept)
    return render(
        request,
        "registration/signup.html",
        {"form": form, "next": accept, "invited": True, "invited_to": invitation.organization},
    )


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation(token)
    if not request.user.is_authenticated:
        return render(
            request,
            "organizations/invitation_welcome.html",
            {"invitation": invitation, "next": request.path},
        )
    problem = None
    if invitation.accepted_at is not None:
        problem = "This invitation has been used already."
    elif invitation.expired:
        problem = "This invitation has expired. Ask the organization's admin for a new one."
    elif invitation.email != _user(request).email:
        problem = (
            f"This invitation is for {invitation.email}; you are signed in as "
            f"{_user(request).email}. Log out and open the link again."
        )
    if problem:
        return render(
            request,
            "organizations/invitation_accept.html",
            {"invitation": invitation, "problem": problem},
            status=403,
        )
    if request.method == "POST":
        try:
            services.coordinator_invitation_accept(token=token, user=_user(request))
        except services.InvitationNotValid as error:
            messages.error(request, str(error))
            return redirect("home")
        messages.success(request, f"You now coordinate in {invitation.organization.name}.")
        return redirect(reverse("programs:list"))
    return render(request, "organizations/invitation_accept.html", {"invitation": invitation})
