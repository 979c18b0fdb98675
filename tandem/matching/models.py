"""The product side of matching: a program's rules, its runs, and the draft matches they propose.

The engine (tandem.matching.engine) knows nothing of these: `problems.py` turns a program and
its rules into the engine's JSON problem (MATCHING.md), and a run stores what came back.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from tandem.core.models import TimeStampedModel
from tandem.mentorships.models import Relationship
from tandem.programs.models import Participant, Program


class Objective(models.TextChoices):
    FAIR = "fair", "Fair: most pairs, then the best worst match, then the best total"
    TOTAL = "total", "Total: most pairs, then the best total score"
    STABLE = "stable", "Stable: nobody would rather be with each other (mentees propose)"


class CriterionType(models.TextChoices):
    OVERLAP = "overlap", "Overlap: share of the mentee's list the mentor also has"
    SAME = "same", "Same: equal (or lists that share a value)"
    DIFFERENT = "different", "Different: not equal (or lists with nothing in common)"
    RANGE = "range", "Range: mentor minus mentee between a minimum and a maximum"
    NEAR = "near", "Near: numbers close to each other, within a distance"
    TEXT = "text", "Text: similarity of two free texts"


class MatchingRules(TimeStampedModel):
    """How a program matches: objective and minimum score; criteria and pair rules hang off it."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="matching_rules")
    objective = models.CharField(max_length=10, choices=Objective.choices, default=Objective.FAIR)
    min_score = models.FloatField(
        "minimum score",
        default=0.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Pairs scoring below this are never proposed (0 to 1).",
    )
    group_size = models.PositiveSmallIntegerField(
        "peer group size",
        default=2,
        validators=[MinValueValidator(2), MaxValueValidator(10)],
        help_text="Peer programs: 2 forms pairs, 3 to 10 forms circles.",
    )
    # Self-matching: how many requests a mentee may have open, and when they are chased up.
    max_open_requests = models.PositiveSmallIntegerField(
        "open requests per mentee",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    request_reminder_days = models.PositiveSmallIntegerField(
        "remind the mentor after (days)",
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    request_expiry_days = models.PositiveSmallIntegerField(
        "a request expires after (days)",
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(min_score__gte=0) & Q(min_score__lte=1), name="rules_min_score_0_1"
            ),
            models.CheckConstraint(
                condition=Q(request_expiry_days__gt=models.F("request_reminder_days")),
                name="rules_expiry_after_reminder",
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.request_expiry_days <= self.request_reminder_days:
            from django.core.exceptions import ValidationError

            raise ValidationError(
                {"request_expiry_days": "A request must expire after its reminder is sent."}
            )

    def __str__(self) -> str:
        return f"Matching rules of {self.program}"


class Criterion(TimeStampedModel):
    """One matching rule: compares a mentee's answer with a mentor's (MATCHING.md criteria).

    Attributes are sign-up question slugs, or `@email` (the person's address) so that rules
    such as "not my manager" can compare a question about a manager with the mentor's email.
    """

    rules = models.ForeignKey(MatchingRules, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(max_length=100)
    type = models.CharField(max_length=10, choices=CriterionType.choices)
    mentee_attribute = models.CharField("mentee's question", max_length=60)
    mentor_attribute = models.CharField("mentor's question", max_length=60)
    weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0)])
    required = models.BooleanField(default=False)
    min_value = models.FloatField("minimum (range)", null=True, blank=True)
    max_value = models.FloatField("maximum (range)", null=True, blank=True)
    within = models.FloatField(
        "within (near)", null=True, blank=True, validators=[MinValueValidator(0.0)]
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["rules", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rules", "name"], name="criterion_name_unique"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="criterion_weight_nonnegative"),
            models.CheckConstraint(
                condition=~Q(type="text") | Q(required=False), name="criterion_text_not_required"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def as_engine(self) -> dict[str, object]:
        """This criterion in the engine's JSON form (MATCHING.md)."""
        data: dict[str, object] = {
            "name": self.name,
            "type": self.type,
            "mentee": self.mentee_attribute,
            "mentor": self.mentor_attribute,
            "weight": self.weight,
            "required": self.required,
        }
        if self.type == CriterionType.RANGE:
            data["min"] = self.min_value
            data["max"] = self.max_value
        if self.type == CriterionType.NEAR:
            data["within"] = self.within
        return data


class PairRuleKind(models.TextChoices):
    PINNED = "pinned", "Pinned: always match these two"
    FORBIDDEN = "forbidden", "Forbidden: never match these two"


class PairRule(TimeStampedModel):
    """A coordinator's decision about one mentee–mentor pair, honoured by every run."""

    rules = models.ForeignKey(MatchingRules, on_delete=models.CASCADE, related_name="pair_rules")
    mentee = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=PairRuleKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rules", "mentee", "mentor"], name="pair_rule_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.mentee_id} – {self.mentor_id}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class MatchRunQuerySet(models.QuerySet["MatchRun"]):
    def unfinished(self) -> MatchRunQuerySet:
        return self.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])


class MatchRun(TimeStampedModel):
    """One smart-match run: the snapshot it used, what the engine said, and who ran it when.

    `problem` is the engine input exactly as solved, so a run can be audited and replayed even
    after the program's rules change; `result` is the engine's output document.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="match_runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    segment = models.JSONField(default=dict, blank=True)
    problem = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    # Small extracts of the two documents above, so that pages never load a whole cohort.
    rules_used = models.JSONField(default=dict, blank=True)
    unmatched = models.JSONField(default=list, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    # The engine's notes on legal but suspicious rules (a pair listed twice, a criterion no
    # answer feeds); kept beside the stats so that the run page need not read the result.
    warnings = models.JSONField(default=list, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[MatchRunQuerySet] = MatchRunQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RunStatus.values), name="match_run_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} of {self.program} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)


class DraftStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    DISMISSED = "dismissed", "Dismissed"


class DraftMatch(models.Model):
    """A pair (or a mentor's group member) a run proposes; nobody hears of it until approved."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="drafts")
    mentee = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    # Null for a peer draft, whose people are all in `peers` (the first is also `mentee`).
    mentor = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    peers = models.JSONField(default=list, blank=True)
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=DraftStatus.choices, default=DraftStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # One relationship per approved draft: the database refuses a second, whatever the race.
    relationship = models.OneToOneField(
        Relationship, on_delete=models.SET_NULL, null=True, blank=True, related_name="draft"
    )

    class Meta:
        ordering = ["run", "-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "mentee", "mentor"], name="draft_pair_unique"),
        ]
        indexes = [
            models.Index(fields=["run", "status"]),
            # The drafts page: a run's drafts of one status, best first (an index scan, no sort).
            models.Index(fields=["run", "status", "-score", "id"], name="draft_run_status_best"),
        ]

    def __str__(self) -> str:
        return f"Draft {self.mentee_id} – {self.mentor_id or self.peers} ({self.score:.2f})"

    @property
    def is_peer(self) -> bool:
        return self.mentor_id is None


class RequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


class MatchRequestQuerySet(models.QuerySet["MatchRequest"]):
    def open(self) -> MatchRequestQuerySet:
        return self.filter(status=RequestStatus.OPEN)


class MatchRequest(TimeStampedModel):
    """Self-matching: a mentee asks a mentor; the mentor accepts or declines."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="match_requests")
    mentee = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="requests_sent")
    mentor = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="requests_received"
    )
    message = models.TextField(max_length=2000)
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    response_note = models.TextField("note", max_length=2000, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    relationship = models.OneToOneField(
        Relationship, on_delete=models.SET_NULL, null=True, blank=True, related_name="request"
    )

    objects: ClassVar[MatchRequestQuerySet] = MatchRequestQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open request per mentee and mentor: a double-submitted form sends one.
            models.UniqueConstraint(
                fields=["mentee", "mentor"],
                condition=Q(status="open"),
                name="match_request_one_open_per_pair",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="match_request_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Request {self.mentee_id} → {self.mentor_id} ({self.status})"
