"""The session page's writing forms: shared notes (with the version they were based on), my
private notes, and my reflection. Each has its own prefix, so the three share one page."""

from __future__ import annotations

from typing import Any

from django import forms

from tandem.mentorships.models.notes import MAX_NOTE_CHARS


class SharedNotesForm(forms.Form):
    prefix = "shared"

    text = forms.CharField(
        label="Shared notes",
        required=False,
        max_length=MAX_NOTE_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Everyone in this relationship reads and edits these notes.",
    )
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class PrivateNoteForm(forms.Form):
    prefix = "private"

    text = forms.CharField(
        label="My private notes",
        required=False,
        max_length=MAX_NOTE_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Only you ever see these: not your partner, not the coordinator.",
    )


class ReflectionForm(forms.Form):
    """One answer per prompt, and whether the partner(s) may read it."""

    prefix = "reflection"

    def __init__(self, *args: Any, prompts: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n, prompt in enumerate(prompts, start=1):
            self.fields[f"answer_{n}"] = forms.CharField(
                label=prompt,
                required=False,
                max_length=MAX_NOTE_CHARS,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        self.fields["shared"] = forms.BooleanField(
            label="Share my reflection with my partner(s)",
            required=False,
            help_text="Private unless you tick this; the coordinator never sees it.",
        )

    def answers(self) -> list[str]:
        return [self.cleaned_data.get(name, "") for name in self.fields if name != "shared"]
