"""Forms of sessions: times are entered on the person's own clock and leave here in UTC."""

from __future__ import annotations

import uuid
import zoneinfo
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from tandem.mentorships.sessions.times import DURATIONS, MAX_MINUTES, TimeOption, option_from_local

DURATION_CHOICES = [(str(m), f"{m} minutes") for m in DURATIONS] + [("custom", "Other length")]


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class TimeOptionsForm(forms.Form):
    """One to `count` times (date, start, length); the first is required."""

    count = 3

    def __init__(self, *args: Any, zone: zoneinfo.ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        for n in range(1, self.count + 1):
            self.fields[f"date_{n}"] = forms.DateField(
                label="Date", required=n == 1, widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"start_{n}"] = forms.TimeField(
                label="Start time",
                required=n == 1,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                help_text=f"On your clock: {zone.key}.",
            )
            self.fields[f"duration_{n}"] = forms.ChoiceField(
                label="Length", choices=DURATION_CHOICES, initial="60", required=False
            )
            self.fields[f"minutes_{n}"] = forms.IntegerField(
                label="Other length, in minutes",
                required=False,
                min_value=5,
                max_value=MAX_MINUTES,
            )

    def time_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The fields of each time, with the legend of its group."""
        names = ["First choice", "Second choice (optional)", "Third choice (optional)"]
        if self.count == 1:
            names = ["When"]
        return [
            (
                names[n - 1],
                [self[f"{part}_{n}"] for part in ("date", "start", "duration", "minutes")],
            )
            for n in range(1, self.count + 1)
        ]

    def other_fields(self) -> list[forms.BoundField]:
        """The visible fields that are not part of a time."""
        parts = ("date_", "start_", "duration_", "minutes_")
        return [f for f in self.visible_fields() if not f.name.startswith(parts)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        options: list[TimeOption] = []
        for n in range(1, self.count + 1):
            day, start = cleaned.get(f"date_{n}"), cleaned.get(f"start_{n}")
            if f"date_{n}" in self.errors or f"start_{n}" in self.errors:
                continue
            if day is None and start is None:
                continue
            if day is None or start is None:
                missing = f"date_{n}" if day is None else f"start_{n}"
                self.add_error(missing, "Give both the date and the start time.")
                continue
            duration = cleaned.get(f"duration_{n}") or "60"
            if duration == "custom":
                minutes = cleaned.get(f"minutes_{n}")
                if minutes is None:
                    self.add_error(f"minutes_{n}", "Say how many minutes.")
                    continue
            else:
                minutes = int(duration)
            try:
                options.append(option_from_local(day, start, minutes, self.zone))
            except ValidationError as error:
                self.add_error(f"start_{n}", error)
        cleaned["options"] = options
        return cleaned


class ProposeForm(TimeOptionsForm):
    place = forms.CharField(
        label="Place or video link",
        max_length=300,
        required=False,
        help_text="A room, a café, or the link of the video call.",
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = new_idempotency_key()


class DeclineForm(TimeOptionsForm):
    note = forms.CharField(
        label="Why these times do not work",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["note"])


class LogForm(TimeOptionsForm):
    """A session held outside Tandem: one time, in the past."""

    count = 1
    place = forms.CharField(label="Place or video link", max_length=300, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = new_idempotency_key()


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Why is it cancelled?", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AgendaForm(forms.Form):
    """One answer per prompt of the agenda, labelled by the prompt."""

    def __init__(self, *args: Any, prompts: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n, prompt in enumerate(prompts, start=1):
            self.fields[f"answer_{n}"] = forms.CharField(
                label=prompt,
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def answers(self) -> list[str]:
        return [self.cleaned_data.get(name, "") for name in self.fields]
