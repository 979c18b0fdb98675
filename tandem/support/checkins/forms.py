from __future__ import annotations

from django import forms

from tandem.support.models import COMMENT_MAX

SCORES = [
    (5, "5 — Going really well"),
    (4, "4 — Going well"),
    (3, "3 — All right"),
    (2, "2 — Not so well"),
    (1, "1 — Not well at all"),
]


class CheckInForm(forms.Form):
    score = forms.TypedChoiceField(
        label="How is your mentoring going?", choices=SCORES, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label="Anything the coordinators should know? (optional)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX}),
        help_text="For the coordinators only: your partner never sees your check-in.",
    )
