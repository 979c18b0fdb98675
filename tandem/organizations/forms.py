from django import forms

from tandem.accounts.models import EMAIL_MAX_LENGTH
from tandem.organizations.models import Role


class CoordinatorInviteForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=EMAIL_MAX_LENGTH)
    role = forms.ChoiceField(
        choices=[(Role.COORDINATOR, Role.COORDINATOR.label), (Role.ADMIN, Role.ADMIN.label)],
        initial=Role.COORDINATOR,
    )


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
