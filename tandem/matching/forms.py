from __future__ import annotations

from typing import Any

from django import forms

from tandem.matching.models import Criterion, CriterionType, MatchingRules
from tandem.matching.problems import EMAIL_ATTRIBUTE
from tandem.programs.forms import AnswerFilterForm
from tandem.programs.models import Program, QuestionKind

NUMERIC_KINDS = (QuestionKind.NUMBER, QuestionKind.SCALE, QuestionKind.TIMEZONE)
NUMERIC_TYPES = (CriterionType.RANGE, CriterionType.NEAR)


def attribute_choices(program: Program) -> list[tuple[str, str]]:
    return [
        *(
            (q.slug, f"{q.label} ({q.get_audience_display().lower()})")
            for q in program.questions.all()
        ),
        (EMAIL_ATTRIBUTE, "Their email address"),
    ]


class RulesForm(forms.ModelForm):
    class Meta:
        model = MatchingRules
        fields = [
            "objective",
            "min_score",
            "group_size",
            "max_open_requests",
            "request_reminder_days",
            "request_expiry_days",
        ]
        widgets = {"objective": forms.RadioSelect}

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if program.format != "peer":
            del self.fields["group_size"]
        else:
            del self.fields["objective"]
        if not program.self_matching:
            for name in ("max_open_requests", "request_reminder_days", "request_expiry_days"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        remind, expire = cleaned.get("request_reminder_days"), cleaned.get("request_expiry_days")
        if remind is not None and expire is not None and expire <= remind:
            self.add_error("request_expiry_days", "Expire a request after its reminder is sent.")
        return cleaned


class CriterionForm(forms.ModelForm):
    class Meta:
        model = Criterion
        fields = [
            "name",
            "type",
            "mentee_attribute",
            "mentor_attribute",
            "weight",
            "required",
            "min_value",
            "max_value",
            "within",
        ]
        help_texts = {
            "weight": "How much this rule counts in the score, relative to the others (0 or more).",
            "required": "A pair that fails a required rule is never proposed.",
            "min_value": "Range rules: the mentor's value minus the mentee's, at least this.",
            "max_value": "Range rules: … and at most this.",
            "within": "Near rules: values this far apart score 0; equal values score 1.",
        }

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        self.questions = {q.slug: q for q in program.questions.all()}
        choices = attribute_choices(program)
        self.fields["mentee_attribute"] = forms.ChoiceField(
            label="Mentee's answer to", choices=choices
        )
        self.fields["mentor_attribute"] = forms.ChoiceField(
            label="Mentor's answer to", choices=choices
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("type")
        if kind == CriterionType.RANGE:
            low, high = cleaned.get("min_value"), cleaned.get("max_value")
            if low is None or high is None:
                self.add_error("min_value", "A range rule needs a minimum and a maximum.")
            elif low > high:
                self.add_error("max_value", "The maximum must not be below the minimum.")
        if kind == CriterionType.NEAR and cleaned.get("within") in (None, 0):
            self.add_error("within", "A near rule needs a distance greater than 0.")
        if kind == CriterionType.TEXT and cleaned.get("required"):
            self.add_error("required", "A text rule cannot be required.")
        if kind in NUMERIC_TYPES:
            for field in ("mentee_attribute", "mentor_attribute"):
                question = self.questions.get(cleaned.get(field, ""))
                if question is None or question.kind not in NUMERIC_KINDS:
                    self.add_error(
                        field,
                        "Range and near rules compare numbers: pick a number, scale or "
                        "time-zone question.",
                    )
        name = cleaned.get("name")
        if name:
            clash = Criterion.objects.filter(rules__program=self.program, name=name)
            if clash.exclude(pk=self.instance.pk).exists():
                self.add_error("name", f"Another rule is called “{name}”.")
        return cleaned


class RunForm(forms.Form):
    scope = forms.ChoiceField(
        label="Who to match",
        choices=[
            ("unmatched", "Mentees not matched yet (mentors with the room they have left)"),
            ("all", "The whole cohort, as if nobody were matched"),
        ],
        widget=forms.RadioSelect,
        initial="unmatched",
    )
    question = forms.ChoiceField(label="Only mentees whose answer to", required=False)
    value = forms.CharField(label="is", required=False, max_length=200)

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = {
            q.slug: q for q in program.questions.filter(kind=QuestionKind.SINGLE_CHOICE)
        }
        question_field = self.fields["question"]
        assert isinstance(question_field, forms.ChoiceField)
        question_field.choices = [
            ("", "(anyone)"),
            *((s, q.label) for s, q in self.questions.items()),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        slug, value = cleaned.get("question"), (cleaned.get("value") or "").strip()
        if slug:
            question = self.questions[slug]
            folded = {c.casefold(): c for c in question.choices}
            if value.casefold() not in folded:
                self.add_error("value", f"Pick one of the answers: {', '.join(question.choices)}.")
            else:
                cleaned["value"] = folded[value.casefold()]
        return cleaned


class PairRuleForm(forms.Form):
    mentee = forms.IntegerField(widget=forms.HiddenInput)
    mentor = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(choices=[("pinned", "Pin"), ("forbidden", "Forbid")])


class MenteeSearchForm(forms.Form):
    """The manual-matching search: a name or an email, as any text field is held (no NUL)."""

    q = forms.CharField(label="Name or email", required=False, max_length=200)


class MentorFilterForm(AnswerFilterForm):
    """Search and filters of self-match browse, over public answers only.

    Built with the public questions only: a private question has no field, so a filter on it
    in the URL is ignored, not applied.
    """

    q = forms.CharField(label="Search names and answers", required=False, max_length=200)
