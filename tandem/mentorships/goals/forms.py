"""Forms of goals: the program's goal-setting prompts, as labelled fields."""

from __future__ import annotations

from typing import Any

from django import forms

from tandem.mentorships.models import GoalSharing
from tandem.mentorships.models.goals import MAX_TASKS, SUGGESTED_TASKS
from tandem.mentorships.sessions.forms import new_idempotency_key


class GoalForm(forms.Form):
    title = forms.CharField(
        label="What I want to achieve",
        max_length=200,
        help_text="One sentence, e.g. “Lead a small project from start to finish”.",
    )
    why = forms.CharField(
        label="Why it matters to me",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only you see this, even when the goal is shared.",
    )
    success_criteria = forms.CharField(
        label="How I will know I got there",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    target_date = forms.DateField(
        label="Target date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sharing = forms.ChoiceField(
        label="Who sees this goal",
        choices=GoalSharing.choices,
        initial=GoalSharing.PRIVATE,
        widget=forms.RadioSelect,
    )


class GoalCreateForm(GoalForm):
    tasks = forms.CharField(
        label="Tasks, one a line",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"One to {SUGGESTED_TASKS} small steps you can tick off (at most {MAX_TASKS}).",
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = new_idempotency_key()

    def task_lines(self) -> list[str]:
        return str(self.cleaned_data.get("tasks", "")).splitlines()
