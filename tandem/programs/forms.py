from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from tandem.accounts.models import EMAIL_MAX_LENGTH, User, email_too_long
from tandem.core.links import link_scheme_error
from tandem.organizations.models import Organization
from tandem.programs.models import (
    CHOICE_KINDS,
    AgendaTemplate,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Program,
    Question,
    QuestionKind,
    ReferralPathway,
)
from tandem.programs.questions import (
    LANGUAGES,
    TIMEZONE_OFFSETS,
    AnswerValue,
    parse_answer,
    timezone_label,
)

MAX_INVITATIONS = 5000
MAX_IMPORT_BYTES = 20 * 1_048_576  # 50,000 rows (the import's limit) of ordinary answers
# A choice question is read on every profile page and join form: keep it a list people can read.
MAX_CHOICES = 100
MAX_CHOICE_LENGTH = 200

LANGUAGE_CHOICES: list[tuple[str, str]] = sorted(LANGUAGES.items(), key=lambda item: item[1])


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = [
            "name",
            "description",
            "format",
            "duration_weeks",
            "smart_matching",
            "manual_matching",
            "self_matching",
            "default_mentor_capacity",
            "allow_both_roles",
            "objectives",
            "match_rate_target",
            "guidelines",
            "agenda_due_hours",
            "mentor_prompt_after_days",
            "quiet_after_days",
            "checkin_first_days",
            "checkin_every_days",
            "reflection_prompts",
            "goal_prompts",
            "mentor_guidance",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "objectives": forms.Textarea(attrs={"rows": 3}),
            "guidelines": forms.Textarea(attrs={"rows": 6}),
            "reflection_prompts": forms.Textarea(attrs={"rows": 3}),
            "goal_prompts": forms.Textarea(attrs={"rows": 4}),
            "mentor_guidance": forms.Textarea(attrs={"rows": 8}),
        }

    def __init__(self, *args: Any, organizations: list[Organization] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if organizations is not None and len(organizations) > 1:
            self.fields["organization"] = forms.ModelChoiceField(
                queryset=Organization.objects.filter(pk__in=[o.pk for o in organizations]),
                label="Organization",
            )
            self.order_fields(["organization", *self.Meta.fields])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        modes = ("smart_matching", "manual_matching", "self_matching")
        if not any(cleaned.get(m) for m in modes):
            self.add_error("smart_matching", "Choose at least one matching mode.")
        return cleaned


class StatusForm(forms.Form):
    status = forms.CharField()


class QuestionForm(forms.ModelForm):
    choices_text = forms.CharField(
        label="Choices",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line. Needed for single and multiple choice questions.",
    )

    class Meta:
        model = Question
        fields = ["label", "slug", "help_text", "kind", "audience", "required", "visibility"]
        help_texts = {
            "slug": "A stable short name used by CSV imports and matching rules. "
            "Letters, digits, hyphens and underscores; made from the label if left empty.",
        }

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        self.fields["slug"].required = False
        if self.instance.pk:
            self.fields["choices_text"].initial = "\n".join(self.instance.choices)

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug") or slugify(self.cleaned_data.get("label", ""))
        slug = slug.replace("-", "_")[:60]
        if not slug:
            raise ValidationError("Give the question a slug (or a label to make one from).")
        if not re.fullmatch(r"[a-z0-9_]+", slug):
            raise ValidationError("Use lower-case letters, digits and underscores only.")
        clash = self.program.questions.filter(slug=slug).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(f"Another question of this program has the slug “{slug}”.")
        return slug

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        lines = [line.strip() for line in cleaned.get("choices_text", "").splitlines()]
        choices = list(dict.fromkeys(line for line in lines if line))
        if cleaned.get("kind") in CHOICE_KINDS:
            longest = max(choices, key=len, default="")
            if len(choices) < 2:
                self.add_error("choices_text", "A choice question needs at least two choices.")
            elif len(choices) > MAX_CHOICES:
                self.add_error(
                    "choices_text",
                    f"A question has at most {MAX_CHOICES} choices; this one has {len(choices)}.",
                )
            elif len(longest) > MAX_CHOICE_LENGTH:
                self.add_error(
                    "choices_text",
                    f"A choice has at most {MAX_CHOICE_LENGTH} characters; "
                    f"“{longest[:40]}…” has {len(longest)}.",
                )
            elif any(";" in c for c in choices):
                self.add_error(
                    "choices_text", "A choice cannot contain “;” (it separates CSV values)."
                )
        else:
            choices = []
        cleaned["choices"] = choices
        return cleaned

    def changed_fields(self) -> dict[str, Any]:
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields}
        fields["choices"] = self.cleaned_data["choices"]
        return fields


class PathwayForm(forms.ModelForm):
    class Meta:
        model = ReferralPathway
        fields = ["name", "description", "contact", "when_to_use"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "when_to_use": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_contact(self) -> str:
        contact = self.cleaned_data["contact"]
        error = link_scheme_error(contact)
        if error:
            raise ValidationError(error)
        return contact


class AgendaTemplateForm(forms.ModelForm):
    """An agenda template: its prompts are written one per line and kept in that order."""

    prompts = forms.CharField(
        label="Prompts",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One per line, in the order the agenda asks them.",
    )

    class Meta:
        model = AgendaTemplate
        fields = ["title", "moment", "prompts"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Stored as a list; edited as lines.
        self.initial["prompts"] = "\n".join(self.instance.prompts or [])

    def clean_prompts(self) -> list[str]:
        prompts = [line.strip() for line in self.cleaned_data["prompts"].splitlines()]
        prompts = [line for line in prompts if line]
        if not prompts:
            raise ValidationError("Write at least one prompt, one per line.")
        if len(prompts) > 20:
            raise ValidationError("Keep it to 20 prompts or fewer: an agenda is short.")
        if any(len(line) > 300 for line in prompts):
            raise ValidationError("Keep each prompt under 300 characters.")
        return prompts


class InviteLinkForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = ["invite_link_open", "allowed_email_domains"]
        labels = {"invite_link_open": "The invite link is open"}

    def clean_allowed_email_domains(self) -> str:
        raw = self.cleaned_data["allowed_email_domains"]
        domains = [d.strip().lower().lstrip("@") for d in raw.split(",") if d.strip()]
        for domain in domains:
            if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", domain):
                raise ValidationError(f"“{domain}” is not a domain such as example.org.")
        return ", ".join(domains)


class BulkInviteForm(forms.Form):
    emails = forms.CharField(
        label="Email addresses",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="One per line, or separated by commas.",
    )
    role = forms.ChoiceField(choices=ParticipantRole.choices)

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [(r, ParticipantRole(r).label) for r in program.roles_allowed]

    def clean_emails(self) -> list[str]:
        raw = re.split(r"[\s,;]+", self.cleaned_data["emails"])
        addresses = [a for a in raw if a]
        if len(addresses) > MAX_INVITATIONS:
            raise ValidationError(
                f"Invite at most {MAX_INVITATIONS:,} people at once; use the CSV import for more."
            )
        validator = forms.EmailField()
        too_long = [a for a in addresses if email_too_long(a)]
        if too_long:
            shown = ", ".join(f"{a[:40]}… ({len(a)})" for a in too_long[:10])
            raise ValidationError(
                f"An email address has at most {EMAIL_MAX_LENGTH} characters: {shown}"
            )
        bad = []
        for address in addresses:
            try:
                validator.clean(address)
            except ValidationError:
                bad.append(address)
        if bad:
            raise ValidationError(f"Not valid email addresses: {', '.join(bad[:10])}")
        return addresses


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, with a header row; up to 20 MB.")

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        if file.size > MAX_IMPORT_BYTES:
            raise ValidationError(
                f"A CSV file can be at most {MAX_IMPORT_BYTES // 1_048_576} MB; this one is "
                f"{file.size / 1_048_576:.1f} MB. Split it into smaller files."
            )
        return file


class CoordinatorAddForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Coordinator")

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"] = forms.ModelChoiceField(queryset=candidates, label="Coordinator")


class AnswerFilterForm(forms.Form):
    """A filter per choice question given (`a_<slug>`): only those questions can be filtered on."""

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"a_{question.slug}"] = forms.ChoiceField(
                label=question.label,
                required=False,
                choices=[("", "Any"), *((c, c) for c in question.choices)],
            )

    def answer_filters(self) -> tuple[tuple[Question, str], ...]:
        return tuple(
            (q, self.cleaned_data[f"a_{q.slug}"])
            for q in self.questions
            if self.cleaned_data.get(f"a_{q.slug}")
        )


class ParticipantFilterForm(AnswerFilterForm):
    q = forms.CharField(label="Search", required=False)
    role = forms.ChoiceField(required=False, choices=[("", "Any role"), *ParticipantRole.choices])
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *ParticipantStatus.choices]
    )


# --- Answer forms: one field per question, built from the program's questions -------------


def _field_for(question: Question, required: bool) -> forms.Field:
    common: dict[str, Any] = {
        "label": question.label,
        "help_text": question.help_text,
        "required": required,
    }
    kind = question.kind
    if kind == QuestionKind.SINGLE_CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *((c, c) for c in question.choices)], **common)
    if kind == QuestionKind.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in question.choices],
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if kind == QuestionKind.SHORT_TEXT:
        return forms.CharField(max_length=200, **common)
    if kind == QuestionKind.LONG_TEXT:
        return forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 4}), **common)
    if kind == QuestionKind.NUMBER:
        return forms.DecimalField(**common)
    if kind == QuestionKind.SCALE:
        return forms.TypedChoiceField(
            choices=[(str(i), str(i)) for i in range(1, 6)],
            coerce=int,
            empty_value=None,
            widget=forms.RadioSelect,
            **common,
        )
    if kind == QuestionKind.TIMEZONE:
        return forms.ChoiceField(
            choices=[("", "—"), *((f"{o:g}", timezone_label(o)) for o in TIMEZONE_OFFSETS)],
            **common,
        )
    if kind == QuestionKind.LANGUAGES:
        return forms.MultipleChoiceField(
            choices=LANGUAGE_CHOICES,
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    raise ValueError(f"unknown question kind {kind!r}")


def _initial_for(question: Question, value: Any) -> Any:
    if value is None:
        return None
    if question.kind == QuestionKind.TIMEZONE:
        return f"{float(value):g}"
    if question.kind == QuestionKind.SCALE:
        return str(value)
    return value


class AnswersForm(forms.Form):
    """The questions a participant in `role` answers, with their current answers as initial."""

    def __init__(
        self,
        *args: Any,
        questions: list[Question],
        role: str,
        current: dict[int, Any] | None = None,
        ask_capacity: bool = False,
        capacity: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.asked = [q for q in questions if q.asked_of(role)]
        current = current or {}
        if ask_capacity:
            self.fields["capacity"] = forms.IntegerField(
                label="How many mentees can you take?",
                min_value=0,
                max_value=50,
                initial=capacity,
                help_text="0 means you are not taking anyone now.",
            )
        for question in self.asked:
            field = _field_for(question, question.required)
            field.initial = _initial_for(question, current.get(question.pk))
            if question.is_private:
                field.help_text = (
                    f"{field.help_text} Private: seen only by you and the program's coordinators."
                ).strip()
            self.fields[f"q_{question.slug}"] = field

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for question in self.asked:
            name = f"q_{question.slug}"
            if name not in cleaned:
                continue
            try:
                cleaned[name] = parse_answer(question, cleaned[name])
            except ValidationError as error:
                self.add_error(name, error)
        return cleaned

    def answers(self) -> dict[Question, AnswerValue | None]:
        return {q: self.cleaned_data.get(f"q_{q.slug}") for q in self.asked}


class GuidelinesForm(forms.Form):
    accept = forms.BooleanField(
        label="I have read the guidelines and accept them.",
        error_messages={"required": "Accept the guidelines to join the program."},
    )


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, I want to withdraw",
        error_messages={"required": "tick this box to withdraw. Nothing was changed."},
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="I am joining as", widget=forms.RadioSelect)

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [(r, ParticipantRole(r).label) for r in program.roles_allowed]


def participant_answers_current(participant: Participant) -> dict[int, Any]:
    return {a.question_id: a.value for a in participant.answers.all()}
