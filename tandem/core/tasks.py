"""Background tasks shared by every app. Tasks are thin: they call one function and return."""

from __future__ import annotations

from django_tasks import task

from tandem.core import emails


@task()
def send_email(
    template: str,
    to: list[str],
    context: dict[str, str],
    attachments: list[list[str]] | None = None,
) -> None:
    """Render `emails/<template>` (subject, text and HTML) and send it through the mail server."""
    emails.deliver(template=template, to=to, context=context, attachments=attachments)
