"""Reflections after a session is held: every member writes one, mentor included (PRODUCT.md
rule 5). Private by default; its author may share it with the partner(s), never with the
coordinator. And the one "reflection due" notice per member and session.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from tandem.mentorships.models.sessions import Session


class Reflection(models.Model):
    """One member's reflection on one held session: answers to the prompts asked then."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="reflections")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_reflections"
    )
    # Copied from the program when first written: editing the program's prompts later does
    # not change a reflection written from them.
    prompts = models.JSONField(default=list)
    answers = models.JSONField(default=list)
    shared = models.BooleanField("shared with my partner(s)", default=False)
    # When it was first shared: the partners are told once, however often it is toggled.
    first_shared_at = models.DateTimeField(null=True, blank=True)
    written_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "written_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "author"], name="reflection_one_per_author"),
        ]
        indexes = [models.Index(fields=["author", "session"])]

    def __str__(self) -> str:
        return f"Reflection of {self.author_id} on session {self.session_id}"

    @property
    def items(self) -> list[tuple[str, str]]:
        """(prompt, answer) pairs in order."""
        answers = list(self.answers) + [""] * (len(self.prompts) - len(self.answers))
        return list(zip(self.prompts, answers, strict=False))


class ReflectionNotice(models.Model):
    """The "reflection due" notice sent to one member about one session. Its unique row is
    the claim: the sweep inserts it before the notice and email go out, in one transaction,
    so a second sweep (or cron beside the worker) sends nothing."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="reflection_notice_once"),
        ]

    def __str__(self) -> str:
        return f"Reflection notice to {self.user_id} for session {self.session_id}"
