from django import forms

from tandem.organizations.models import Role


class CoordinatorInviteForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(
        choices=[(Role.COORDINATOR, Role.COORDINATOR.label), (Role.ADMIN, Role.ADMIN.label)],
        initial=Role.COORDINATOR,
    )


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
