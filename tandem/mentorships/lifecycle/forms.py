"""Forms of a relationship's lifecycle: pause, conclude (with its reason), and the closing
reflection."""

from __future__ import annotations

from django import forms

from tandem.mentorships.lifecycle.changes import REASON_MAX
from tandem.mentorships.lifecycle.closing import TEXT_MAX
from tandem.mentorships.models import Again


class PauseForm(forms.Form):
    reason = forms.CharField(
        label="Why pause",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your partner reads this; the coordinator sees only that you paused, and when.",
    )
    resume_on = forms.DateField(
        label="Resume on (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The relationship resumes by itself that morning. No reminders until then.",
    )


class ConcludeForm(forms.Form):
    reason = forms.CharField(
        label="A word for your partner (optional)",
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ClosingReflectionForm(forms.Form):
    went_well = forms.CharField(
        label="What went well?",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    learned = forms.CharField(
        label="What did I learn?",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    again = forms.ChoiceField(
        label="Would I do it again?",
        required=False,
        choices=Again.choices,
        widget=forms.RadioSelect,
    )
    shared = forms.BooleanField(
        label="Share my closing reflection with my partner(s)",
        required=False,
        help_text="Private unless you tick this; the coordinator never sees it.",
    )
