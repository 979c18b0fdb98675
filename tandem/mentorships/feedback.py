"""How the workspace's views show a service's answer: a refusal on the form's field it names
(or above the form), or as messages; warnings as messages. One place for every concern's views."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest


def attach(form: Form, error: ValidationError) -> None:
    """A service's refusal on the form: on the field it names, else above the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for each in errors:
                form.add_error(name if name in form.fields else None, each)
    else:
        form.add_error(None, error)


def refused(request: HttpRequest, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


def warn(request: HttpRequest, warnings: list[str]) -> None:
    for text in warnings:
        messages.warning(request, text)
