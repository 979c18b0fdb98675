from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.http import request_user as _user
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


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = (
        CoordinatorInvitation.objects.select_related("organization").filter(token=token).first()
    )
    if invitation is None:
        raise Http404("This invitation does not exist.")
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
