"""The message form: plain text, and the key that makes a double submission one message."""

from __future__ import annotations

from typing import Any

from django import forms

from tandem.mentorships.models.messages import MAX_MESSAGE_CHARS
from tandem.mentorships.sessions.forms import new_idempotency_key


class MessageForm(forms.Form):
    # No max_length here: a browser sends each line break as two characters; the service
    # counts after making them one, and names the field when it refuses.
    body = forms.CharField(
        label="Your message",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_MESSAGE_CHARS}),
        help_text="Plain text; web addresses become links. Only the members of this "
        "relationship read it: the coordinator sees how many messages there are, never what "
        "they say.",
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = new_idempotency_key()
