"""Forms of support requests: asking, replying, assigning and resolving. Text fields carry no
max_length (a browser sends each line break as two characters): the services count after
making them one, and name the field when they refuse."""

from __future__ import annotations

from typing import Any

from django import forms

from tandem.accounts.models import User
from tandem.mentorships.sessions.forms import new_idempotency_key
from tandem.programs.models import ReferralPathway
from tandem.support.models import MESSAGE_MAX, Category, Urgency


class KeyedForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = new_idempotency_key()


class SupportRequestForm(KeyedForm):
    category = forms.ChoiceField(
        label="What is it about?", choices=Category.choices, widget=forms.RadioSelect
    )
    urgency = forms.ChoiceField(
        label="How soon do you need an answer?",
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label="What would you like the coordinators to know?",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": MESSAGE_MAX}),
        help_text="Only the program's coordinators read this. Your partner is not told, and "
        "cannot see that you asked.",
    )


class ReplyForm(KeyedForm):
    text = forms.CharField(
        label="Your reply",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MESSAGE_MAX}),
    )


class CoordinatorReplyForm(ReplyForm):
    pathway = forms.ModelChoiceField(
        label="Point to a referral pathway (optional)",
        queryset=ReferralPathway.objects.none(),
        required=False,
        empty_label="None",
    )

    def __init__(self, *args: Any, program_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["pathway"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ReferralPathway.objects.filter(program_id=program_id)
        self.fields[
            "text"
        ].help_text = "The author reads this in Tandem; the email only says that you replied."


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label="Assigned to", coerce=int, empty_value=None)

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Nobody yet")] + [(u.pk, u.display_name) for u in people]
        field.required = False


class ResolveForm(forms.Form):
    note = forms.CharField(
        label="Resolution note (coordinators only)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX}),
        help_text="What was done. The author is told the request is resolved, not this note.",
    )
