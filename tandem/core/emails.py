"""Every email Tandem sends: one template trio per kind, sent after commit by a worker.

A kind is `templates/emails/<name>_subject.txt`, `<name>.txt` and `<name>.html`. The context is
plain strings only, so that a queued task carries no model instances and leaks nothing into logs.
An email may carry files (a calendar invitation): each is [filename, text, MIME type], text too.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


Attachment = list[str]  # [filename, content, MIME type]: JSON, so that a task can carry it


def deliver(
    *,
    template: str,
    to: list[str],
    context: dict[str, str],
    attachments: list[Attachment] | None = None,
) -> None:
    """Render and send one email now. Called by the worker; raises if the server refuses."""
    full_context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", full_context).split())
    text = render_to_string(f"emails/{template}.txt", full_context)
    html = render_to_string(f"emails/{template}.html", full_context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=to)
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or []:
        message.attach(filename, content, mimetype)
    message.send()
    # Log the kind and the count, never addresses or content.
    logger.info("sent email %s to %d recipient(s)", template, len(to))


def email_after_commit(
    *,
    template: str,
    to: list[str],
    context: dict[str, str],
    attachments: list[Attachment] | None = None,
) -> None:
    """Queue an email to go out once the current transaction commits (never for a rollback)."""
    from tandem.core.tasks import send_email

    files = [list(a) for a in attachments or []]
    transaction.on_commit(
        lambda: send_email.enqueue(
            template=template, to=list(to), context=dict(context), attachments=files
        )
    )
