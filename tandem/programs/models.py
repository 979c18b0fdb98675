from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, TextField
from django.db.models.functions import Cast, Left
from django.utils import timezone

from tandem.core.links import safe_href
from tandem.core.models import TimeStampedModel
from tandem.organizations.models import Organization, Role, new_token

if TYPE_CHECKING:
    from tandem.accounts.models import User


class Format(models.TextChoices):
    ONE_TO_ONE = "one_to_one", "One-to-one"
    GROUP = "group", "Group"
    PEER = "peer", "Peer"
    REVERSE = "reverse", "Reverse"


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open for enrolment"
    RUNNING = "running", "Running"
    CLOSED = "closed", "Closed"


# The only moves a program's status may make. Reopening a running program for late
# enrolment is allowed; a closed program stays closed (its history is kept).
STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ProgramStatus.DRAFT: (ProgramStatus.OPEN,),
    ProgramStatus.OPEN: (ProgramStatus.RUNNING, ProgramStatus.CLOSED),
    ProgramStatus.RUNNING: (ProgramStatus.OPEN, ProgramStatus.CLOSED),
    ProgramStatus.CLOSED: (),
}


class ProgramQuerySet(models.QuerySet["Program"]):
    def visible_to(self, user: User) -> ProgramQuerySet:
        """Programs a person may see at all: those they coordinate or take part in, and every
        program of the organizations they administer."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            Q(coordinators=user)
            | Q(participants__user=user)
            | Q(organization__memberships__user=user, organization__memberships__role=Role.ADMIN)
        ).distinct()

    def coordinated_by(self, user: User) -> ProgramQuerySet:
        """Programs a person may run: theirs as coordinator, or any in an org they administer.

        Both go through the person's membership, so that an org admin who demotes a coordinator
        to member (or removes them) takes their programs from them at once.
        """
        if not user.is_authenticated:
            return self.none()
        # One filter() call: every condition on memberships applies to the same membership row.
        return self.filter(
            Q(organization__memberships__user=user)
            & (
                Q(organization__memberships__role=Role.ADMIN)
                | Q(coordinators=user, organization__memberships__role=Role.COORDINATOR)
            )
        ).distinct()


MAX_REFLECTION_PROMPTS = 8
MAX_REFLECTION_PROMPT_CHARS = 300


def reflection_prompt_lines(text: str) -> list[str]:
    """The program's own reflection prompts: one per non-empty line, in order."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def validate_reflection_prompts(text: str) -> None:
    lines = reflection_prompt_lines(text)
    if len(lines) > MAX_REFLECTION_PROMPTS:
        raise ValidationError(
            f"At most {MAX_REFLECTION_PROMPTS} reflection prompts (one per line); "
            f"there are {len(lines)}."
        )
    for line in lines:
        if len(line) > MAX_REFLECTION_PROMPT_CHARS:
            raise ValidationError(
                f"A reflection prompt is at most {MAX_REFLECTION_PROMPT_CHARS} characters: "
                f'shorten "{line[:40]}…".'
            )


DEFAULT_MENTOR_GUIDANCE = """You are a mentor, not a therapist, a doctor, a lawyer or a manager. \
When a conversation goes somewhere mentoring cannot help:

1. Listen, and say what you notice: "This sounds hard, and bigger than what we can work on \
here."
2. Do not try to fix it, diagnose it or keep it secret if someone is at risk.
3. Point to the right help: the program's "Get other support" page lists the services, and \
your mentee can ask the coordinators privately from there.
4. Bring the session back to what you can work on together: "Shall we look at your goal for \
this month?"
5. If you are worried about someone's safety, tell the coordinators the same day (your own \
"Get other support" page), or call the emergency services.

You may pause the relationship at any time if it needs a break."""


class Program(TimeStampedModel):
    """A mentoring program: its design, its rules for joining, and its people."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="programs"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    format = models.CharField(max_length=20, choices=Format.choices, default=Format.ONE_TO_ONE)
    duration_weeks = models.PositiveSmallIntegerField(
        "intended duration (weeks)",
        default=26,
        validators=[MinValueValidator(1), MaxValueValidator(260)],
        help_text="A guide for milestone prompts, never a hard stop.",
    )
    smart_matching = models.BooleanField("smart match", default=True)
    manual_matching = models.BooleanField("manual matching", default=True)
    self_matching = models.BooleanField("self-matching", default=False)
    default_mentor_capacity = models.PositiveSmallIntegerField(
        default=1,
        validators=[MaxValueValidator(50)],
        help_text="How many mentees (or groups' members) a mentor takes unless they say otherwise.",
    )
    allow_both_roles = models.BooleanField(
        "people may join as both mentor and mentee", default=False
    )
    objectives = models.TextField(
        blank=True, max_length=5000, help_text="What the program realistically aims for."
    )
    match_rate_target = models.PositiveSmallIntegerField(
        "match-rate target (%)", default=70, validators=[MaxValueValidator(100)]
    )
    guidelines = models.TextField(
        max_length=20000,
        help_text="What mentoring in this program covers and what it does not. "
        "Participants accept these to join.",
    )
    status = models.CharField(
        max_length=10, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT
    )
    agenda_due_hours = models.PositiveSmallIntegerField(
        "agenda due (hours before a session)",
        default=24,
        validators=[MaxValueValidator(336)],
        help_text="The mentee sends the agenda this long before; a reminder goes out if not.",
    )
    mentor_prompt_after_days = models.PositiveSmallIntegerField(
        "prompt the mentor after (days)",
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Mentees get a nudge, and mentors a prompt, when nothing is planned this long "
        "after the last session.",
    )
    quiet_after_days = models.PositiveSmallIntegerField(
        "quiet after (days)",
        default=30,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text="The health page lists a relationship as quiet when no session, agenda or "
        "message has happened this long.",
    )
    checkin_first_days = models.PositiveSmallIntegerField(
        "first check-in (days after the match)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Each member is asked how it is going (1 to 5, and a comment for you).",
    )
    checkin_every_days = models.PositiveSmallIntegerField(
        "then a check-in every (days)",
        default=60,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
    )
    reflection_prompts = models.TextField(
        "the program's reflection prompts",
        blank=True,
        validators=[validate_reflection_prompts],
        help_text='Asked after each session, one per line, after "What did I learn from my '
        'partner?" and "What will I do before next time?".',
    )
    mentor_guidance = models.TextField(
        "guidance for mentors: when a conversation goes beyond mentoring",
        max_length=5000,
        default=DEFAULT_MENTOR_GUIDANCE,
        help_text="Linked from every mentor's workspace. Say how to bring a conversation back, "
        "and where to point a mentee who needs more than a mentor can give.",
    )
    goal_prompts = models.TextField(
        "goal-setting prompts",
        blank=True,
        help_text="Shown to participants as they write a goal, one a line "
        "(e.g. “Make it specific: what will be different?”).",
    )
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="coordinated_programs", blank=True
    )
    # The open invite link: anyone with it may join while it is open, from allowed domains.
    invite_token = models.CharField(max_length=64, unique=True, default=new_token)
    invite_link_open = models.BooleanField(default=True)
    allowed_email_domains = models.CharField(
        max_length=500,
        blank=True,
        help_text="Comma-separated, e.g. northwind.example. Empty allows any address.",
    )

    objects: ClassVar[ProgramQuerySet] = ProgramQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["organization", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(match_rate_target__lte=100), name="program_match_rate_target_percent"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ProgramStatus.values), name="program_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(smart_matching=True) | Q(manual_matching=True) | Q(self_matching=True),
                name="program_has_matching_mode",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if not (self.smart_matching or self.manual_matching or self.self_matching):
            raise ValidationError(
                {"smart_matching": "Choose at least one matching mode (smart, manual or self)."}
            )

    @property
    def allowed_domains(self) -> list[str]:
        return [
            d.strip().lower().lstrip("@")
            for d in self.allowed_email_domains.split(",")
            if d.strip()
        ]

    def email_domain_allowed(self, email: str) -> bool:
        domains = self.allowed_domains
        return not domains or email.rsplit("@", 1)[-1].lower() in domains

    @property
    def is_enrolling(self) -> bool:
        return self.status in (ProgramStatus.OPEN, ProgramStatus.RUNNING)

    @property
    def allowed_transitions(self) -> tuple[str, ...]:
        return STATUS_TRANSITIONS[self.status]

    @property
    def roles_allowed(self) -> list[str]:
        if self.format == Format.PEER:
            return [ParticipantRole.BOTH]
        if self.allow_both_roles:
            return [ParticipantRole.MENTEE, ParticipantRole.MENTOR, ParticipantRole.BOTH]
        return [ParticipantRole.MENTEE, ParticipantRole.MENTOR]


class ReferralPathway(TimeStampedModel):
    """Where to turn for what mentoring does not cover: employee assistance, HR, crisis lines."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="pathways")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    contact = models.CharField(max_length=300, help_text="Phone, email, address or web page.")
    when_to_use = models.TextField("when to use it", blank=True, max_length=2000)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["program", "position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def contact_href(self) -> str | None:
        """The contact as a link target when it is one web, mail or phone link; else None."""
        return safe_href(self.contact)


class AgendaMoment(models.TextChoices):
    """The point of a relationship an agenda template is meant for."""

    FIRST = "first", "The first session"
    SECOND = "second", "The second session"
    MIDPOINT = "midpoint", "Around the mid-point"
    CLOSING = "closing", "Near the end"
    ANY = "any", "Any session"


class AgendaTemplate(TimeStampedModel):
    """A starting point for a session's agenda: a title and ordered prompts, per program."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="agenda_templates")
    title = models.CharField(max_length=200)
    prompts = models.JSONField(default=list, help_text="The questions the agenda asks, in order.")
    moment = models.CharField(
        "suggested for", max_length=10, choices=AgendaMoment.choices, default=AgendaMoment.ANY
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["program", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "title"],
                name="agenda_template_title_unique",
                violation_error_message="The program has a template with this title.",
            ),
            models.CheckConstraint(
                condition=Q(moment__in=AgendaMoment.values), name="agenda_template_moment_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    SINGLE_CHOICE = "single_choice", "Single choice"
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    SHORT_TEXT = "short_text", "Short text"
    LONG_TEXT = "long_text", "Long text"
    NUMBER = "number", "Number"
    SCALE = "scale", "Scale 1–5"
    TIMEZONE = "timezone", "Time zone (UTC offset)"
    LANGUAGES = "languages", "Languages"


CHOICE_KINDS = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)
LIST_KINDS = (QuestionKind.MULTIPLE_CHOICE, QuestionKind.LANGUAGES)


class Audience(models.TextChoices):
    MENTEES = "mentees", "Mentees"
    MENTORS = "mentors", "Mentors"
    BOTH = "both", "Both"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Visible to other participants"
    PRIVATE = "private", "Private (coordinators only)"


class Question(TimeStampedModel):
    """A sign-up question. Its slug is stable: CSV columns and matching rules refer to it."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="questions")
    slug = models.SlugField(max_length=60)
    label = models.CharField(max_length=300)
    help_text = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=20, choices=QuestionKind.choices)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.BOTH)
    required = models.BooleanField(default=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    choices = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["program", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "slug"], name="question_slug_unique"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_private(self) -> bool:
        return self.visibility == Visibility.PRIVATE

    @property
    def has_choices(self) -> bool:
        return self.kind in CHOICE_KINDS

    def asked_of(self, role: str) -> bool:
        if self.audience == Audience.BOTH or role == ParticipantRole.BOTH:
            return True
        return (self.audience == Audience.MENTORS) == (role == ParticipantRole.MENTOR)


class ParticipantRole(models.TextChoices):
    MENTEE = "mentee", "Mentee"
    MENTOR = "mentor", "Mentor"
    BOTH = "both", "Mentor and mentee"


class ParticipantStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    JOINED = "joined", "Joined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def mentors(self) -> ParticipantQuerySet:
        return self.filter(role__in=[ParticipantRole.MENTOR, ParticipantRole.BOTH])

    def mentees(self) -> ParticipantQuerySet:
        return self.filter(role__in=[ParticipantRole.MENTEE, ParticipantRole.BOTH])

    def active(self) -> ParticipantQuerySet:
        return self.filter(status=ParticipantStatus.JOINED)


class Participant(TimeStampedModel):
    """A person's enrolment in a program, as mentor, mentee or both."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    role = models.CharField(max_length=10, choices=ParticipantRole.choices)
    status = models.CharField(
        max_length=10, choices=ParticipantStatus.choices, default=ParticipantStatus.INVITED
    )
    capacity = models.PositiveSmallIntegerField(
        "mentoring capacity",
        null=True,
        blank=True,
        validators=[MaxValueValidator(50)],
        help_text="How many mentees a mentor takes; 0 means not taking anyone now.",
    )
    invitation_token = models.CharField(max_length=64, unique=True, default=new_token)
    guidelines_accepted_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[ParticipantQuerySet] = ParticipantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["program", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["program", "user"], name="participant_unique"),
            models.CheckConstraint(
                condition=Q(status__in=ParticipantStatus.values), name="participant_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(role__in=ParticipantRole.values), name="participant_role_valid"
            ),
        ]
        indexes = [models.Index(fields=["program", "status", "role"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) in {self.program}"

    @property
    def is_mentor(self) -> bool:
        return self.role in (ParticipantRole.MENTOR, ParticipantRole.BOTH)

    @property
    def is_mentee(self) -> bool:
        return self.role in (ParticipantRole.MENTEE, ParticipantRole.BOTH)

    @property
    def invitation_expired(self) -> bool:
        """A personal invitation link older than INVITATION_MAX_AGE_DAYS no longer works."""
        if self.status != ParticipantStatus.INVITED or self.invited_at is None:
            return False
        age = timezone.now() - self.invited_at
        return age > datetime.timedelta(days=settings.INVITATION_MAX_AGE_DAYS)

    @property
    def taking_mentees(self) -> bool:
        return self.is_mentor and self.capacity != 0


def answer_value_prefix(value: models.Expression | str = "value") -> Left:
    """The first 100 characters of an answer's JSON text: the key of the answer-filter index.

    A prefix, because a long-text answer can outgrow a B-tree index entry (about 2.7 kB on
    PostgreSQL); single-choice answers, the ones filtered on, fit whole.
    """
    return Left(Cast(value, output_field=TextField()), 100)


class Answer(models.Model):
    """One participant's answer to one question; `value` holds str, number or list of str."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    value = models.JSONField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # question first: filtering a program's participants by an answer reads this index.
            models.UniqueConstraint(fields=["question", "participant"], name="answer_unique"),
        ]
        indexes = [
            # The participants list's answer filter ("department is Sales") reads this, instead
            # of every answer to the question.
            models.Index(F("question"), answer_value_prefix(), name="answer_question_value"),
        ]

    def __str__(self) -> str:
        return f"{self.question.slug}: {self.value!r}"
