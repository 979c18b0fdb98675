"""Sign-up questions: what a valid answer to each kind is, and the question builder's rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse

from tandem.core.testing import make_personas
from tandem.programs.models import Answer, Question, QuestionKind
from tandem.programs.questions import display_answer, parse_answer


def question(kind: str, choices: list[str] | None = None) -> Question:
    return Question(kind=kind, choices=choices or [], slug="q", label="Q")


DEPARTMENTS = ["Engineering", "Sales", "People"]

# (kind, choices, raw input, stored value)
VALID: list[tuple[str, list[str] | None, Any, Any]] = [
    (QuestionKind.SINGLE_CHOICE, DEPARTMENTS, "Sales", "Sales"),
    (QuestionKind.SINGLE_CHOICE, DEPARTMENTS, "  sales ", "Sales"),  # the question's spelling
    (QuestionKind.MULTIPLE_CHOICE, DEPARTMENTS, "People; engineering", ["Engineering", "People"]),
    (QuestionKind.MULTIPLE_CHOICE, DEPARTMENTS, ["Sales", "Sales", "People"], ["Sales", "People"]),
    (QuestionKind.SHORT_TEXT, None, "  Berlin  ", "Berlin"),
    (QuestionKind.SHORT_TEXT, None, "x" * 200, "x" * 200),
    (QuestionKind.LONG_TEXT, None, "line one\nline two", "line one\nline two"),
    (QuestionKind.LONG_TEXT, None, "y" * 5000, "y" * 5000),
    (QuestionKind.NUMBER, None, "42", 42),
    (QuestionKind.NUMBER, None, "-2.5", -2.5),
    (QuestionKind.NUMBER, None, "3.0", 3),
    (QuestionKind.NUMBER, None, 7, 7),
    (QuestionKind.NUMBER, None, "1e3", 1000),
    (QuestionKind.SCALE, None, "1", 1),
    (QuestionKind.SCALE, None, 5, 5),
    (QuestionKind.SCALE, None, "4.0", 4),
    (QuestionKind.TIMEZONE, None, "+5:30", 5.5),
    (QuestionKind.TIMEZONE, None, "UTC-3", -3),
    (QuestionKind.TIMEZONE, None, "−9:30", -9.5),  # a typographic minus, as UTC labels show it
    (QuestionKind.TIMEZONE, None, "5.75", 5.75),
    (QuestionKind.TIMEZONE, None, "14", 14),
    (QuestionKind.TIMEZONE, None, "utc", 0),
    (QuestionKind.LANGUAGES, None, "fr;en", ["en", "fr"]),
    (QuestionKind.LANGUAGES, None, "German; de ; SPANISH", ["de", "es"]),
    (QuestionKind.LANGUAGES, None, ["sw", "ta"], ["sw", "ta"]),
]

# (kind, choices, raw input, words the message must contain)
INVALID: list[tuple[str, list[str] | None, Any, str]] = [
    (QuestionKind.SINGLE_CHOICE, DEPARTMENTS, "Marketing", "not one of the choices"),
    (QuestionKind.MULTIPLE_CHOICE, DEPARTMENTS, "Sales;Golf", "'Golf' is not one of the choices"),
    (QuestionKind.SHORT_TEXT, None, "x" * 201, "at most 200 characters"),
    (QuestionKind.LONG_TEXT, None, "y" * 5001, "at most 5000 characters"),
    (QuestionKind.NUMBER, None, "ten", "must be a number"),
    (QuestionKind.NUMBER, None, "NaN", "must be a number"),
    (QuestionKind.NUMBER, None, "Infinity", "must be a number"),
    (QuestionKind.NUMBER, None, True, "must be a number"),
    (QuestionKind.NUMBER, None, "1e5000", "must be between"),
    (QuestionKind.SCALE, None, "0", "from 1 to 5"),
    (QuestionKind.SCALE, None, "6", "from 1 to 5"),
    (QuestionKind.SCALE, None, "2.5", "from 1 to 5"),
    (QuestionKind.SCALE, None, "good", "must be a number"),
    (QuestionKind.TIMEZONE, None, "+15", "between -12 and +14"),
    (QuestionKind.TIMEZONE, None, "+5:20", "between -12 and +14"),
    (QuestionKind.TIMEZONE, None, "Berlin", "such as +2 or -5:30"),
    (QuestionKind.TIMEZONE, None, "+5:xx", "such as +2 or -5:30"),
    (QuestionKind.LANGUAGES, None, "en;Klingon", "'Klingon' is not a known language"),
]


@pytest.mark.parametrize(("kind", "choices", "raw", "stored"), VALID)
def test_valid_answers_are_stored_in_their_canonical_form(kind, choices, raw, stored):
    value = parse_answer(question(kind, choices), raw)
    assert value == stored
    assert type(value) is type(stored)  # 3, not 3.0: the stored JSON keeps the type


@pytest.mark.parametrize(("kind", "choices", "raw", "words"), INVALID)
def test_invalid_answers_are_refused_with_the_rule(kind, choices, raw, words):
    with pytest.raises(ValidationError) as caught:
        parse_answer(question(kind, choices), raw)
    assert words in " ".join(caught.value.messages)


@pytest.mark.parametrize("kind", QuestionKind.values)
@pytest.mark.parametrize("raw", [None, "", "   ", []])
def test_a_blank_answer_is_none_for_every_kind(kind, raw):
    assert parse_answer(question(kind, DEPARTMENTS), raw) is None


def test_an_empty_list_after_splitting_is_no_answer():
    assert parse_answer(question(QuestionKind.MULTIPLE_CHOICE, DEPARTMENTS), " ; ;") is None
    assert parse_answer(question(QuestionKind.LANGUAGES), ";") is None


def test_every_kind_is_in_the_tables_above():
    """A new kind fails here until its valid and invalid answers are written down."""
    assert {kind for kind, *_ in VALID} == set(QuestionKind.values)
    assert {kind for kind, *_ in INVALID} == set(QuestionKind.values)


def test_an_unknown_kind_is_refused_never_stored():
    with pytest.raises(ValidationError, match="unknown question type"):
        parse_answer(question("colour"), "blue")


@pytest.mark.parametrize(
    ("kind", "value", "shown"),
    [
        (QuestionKind.TIMEZONE, 5.5, "UTC+05:30"),
        (QuestionKind.TIMEZONE, -9.5, "UTC−09:30"),
        (QuestionKind.LANGUAGES, ["en", "fr"], "English, French"),
        (QuestionKind.MULTIPLE_CHOICE, ["Sales", "People"], "Sales, People"),
        (QuestionKind.NUMBER, 2.5, "2.5"),
    ],
)
def test_answers_are_shown_to_people_readably(kind, value, shown):
    assert display_answer(question(kind, DEPARTMENTS), value) == shown


class QuestionBuilderTests(TestCase):
    """The coordinator's question pages."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def setUp(self):
        self.client.force_login(self.p.coordinator)
        self.list_url = reverse("programs:questions", args=[self.p.program.pk])

    def edit_url(self, q: Question) -> str:
        return reverse("programs:question_edit", args=[self.p.program.pk, q.pk])

    def form_data(self, q: Question, **changes: Any) -> dict[str, Any]:
        data = {
            "label": q.label,
            "slug": q.slug,
            "help_text": q.help_text,
            "kind": q.kind,
            "audience": q.audience,
            "visibility": q.visibility,
            "choices_text": "\n".join(q.choices),
        }
        if q.required:
            data["required"] = "on"
        data.update(changes)
        return data

    def stored(self, q: Question) -> Any:
        return Question.objects.filter(pk=q.pk).values().get()

    def answers(self) -> list[Any]:
        return list(Answer.objects.order_by("pk").values())

    def test_a_question_is_added_with_a_slug_made_from_its_label(self):
        response = self.client.post(
            self.list_url,
            {"label": "Years of experience", "kind": QuestionKind.NUMBER, "audience": "both"}
            | {"visibility": "public", "required": "on"},
        )
        self.assertRedirects(response, self.list_url)
        q = self.p.program.questions.get(label="Years of experience")
        self.assertEqual((q.slug, q.kind, q.choices), ("years_of_experience", "number", []))
        self.assertEqual(q.position, 4)  # after the three there were

    def test_slugs_are_unique_within_a_program(self):
        before = Question.objects.count()
        response = self.client.post(
            self.list_url,
            {"label": "Team", "slug": "department", "kind": QuestionKind.SHORT_TEXT}
            | {"audience": "both", "visibility": "public"},
        )
        self.assertContains(
            response, "Slug: Another question of this program has the slug “department”."
        )
        self.assertEqual(Question.objects.count(), before)
        # Another program may use the same slug.
        self.client.force_login(self.p.other_coordinator)
        response = self.client.post(
            reverse("programs:questions", args=[self.p.other_program.pk]),
            {"label": "Team", "slug": "department", "kind": QuestionKind.SHORT_TEXT}
            | {"audience": "both", "visibility": "public"},
        )
        self.assertEqual(response.status_code, 302)
        self.assertTrue(self.p.other_program.questions.filter(slug="department").exists())

    def test_a_slug_is_letters_digits_and_underscores(self):
        response = self.client.post(
            self.list_url,
            {"label": "Team", "slug": "Team Name!", "kind": QuestionKind.SHORT_TEXT}
            | {"audience": "both", "visibility": "public"},
        )
        self.assertContains(response, "Slug: Enter a valid “slug”")
        self.assertFalse(self.p.program.questions.filter(label="Team").exists())

    def test_choice_questions_need_two_choices(self):
        before = Question.objects.count()
        for kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
            for choices in ("", "Only one", "Same\nSame"):
                with self.subTest(kind=kind, choices=choices):
                    response = self.client.post(
                        self.list_url,
                        {"label": "Pick", "kind": kind, "choices_text": choices}
                        | {"audience": "both", "visibility": "public"},
                    )
                    self.assertContains(
                        response, "Choices: A choice question needs at least two choices."
                    )
        response = self.client.post(
            self.list_url,
            {"label": "Pick", "kind": "single_choice", "choices_text": "A;B\nC"}
            | {"audience": "both", "visibility": "public"},
        )
        self.assertContains(response, "A choice cannot contain “;”")
        self.assertEqual(Question.objects.count(), before)

    def test_refused_edits_of_an_answered_question(self):
        q = self.p.q_department  # answered by Mia (Sales) and Marco (Engineering)
        cases = {
            "kind": (
                {"kind": QuestionKind.SHORT_TEXT, "choices_text": ""},
                "Cannot change the type: 2 people have answered this question.",
            ),
            "slug": (
                {"slug": "team"},
                "Cannot change the slug: 2 people have answered this question",
            ),
            "choices": (
                {"choices_text": "Engineering\nMarketing"},
                "Cannot remove choices that people chose: &#x27;Sales&#x27; (1).",
            ),
        }
        for field, (changes, message) in cases.items():
            with self.subTest(field=field):
                before, answers = self.stored(q), self.answers()
                response = self.client.post(self.edit_url(q), self.form_data(q, **changes))
                self.assertContains(response, message)
                self.assertEqual(self.stored(q), before)
                self.assertEqual(self.answers(), answers)

    def test_safe_edits_of_an_answered_question(self):
        q = self.p.q_gender  # answered "Woman" by Mia
        response = self.client.post(
            self.edit_url(q),
            self.form_data(
                q,
                label="Gender identity",
                choices_text="Woman\nNon-binary\nPrefer to self-describe",  # "Man" was unused
                visibility="public",
            ),
        )
        self.assertRedirects(response, self.list_url)
        q.refresh_from_db()
        self.assertEqual(q.label, "Gender identity")
        self.assertEqual(q.choices, ["Woman", "Non-binary", "Prefer to self-describe"])
        self.assertEqual(q.visibility, "public")
        self.assertEqual(Answer.objects.get(question=q).value, "Woman")

    def test_adding_a_choice_to_an_answered_question(self):
        q = self.p.q_goals
        response = self.client.post(
            self.edit_url(q),
            self.form_data(q, choices_text="Leadership\nPublic speaking\nNetworking"),
        )
        self.assertRedirects(response, self.list_url)
        q.refresh_from_db()
        self.assertEqual(q.choices, ["Leadership", "Public speaking", "Networking"])

    def test_an_unanswered_question_may_change_type_and_slug(self):
        q = Question.objects.create(
            program=self.p.program,
            slug="city",
            label="City",
            kind=QuestionKind.SHORT_TEXT,
            position=4,
        )
        response = self.client.post(
            self.edit_url(q),
            self.form_data(
                q, slug="office", kind=QuestionKind.SINGLE_CHOICE, choices_text="Oslo\nLima"
            ),
        )
        self.assertRedirects(response, self.list_url)
        q.refresh_from_db()
        self.assertEqual((q.slug, q.kind, q.choices), ("office", "single_choice", ["Oslo", "Lima"]))

    def test_deleting_an_answered_question_is_refused(self):
        q = self.p.q_gender
        response = self.client.post(
            reverse("programs:question_delete", args=[self.p.program.pk, q.pk]), follow=True
        )
        self.assertContains(
            response, "1 person has answered “Gender”; deleting it would lose their answers."
        )
        self.assertTrue(Question.objects.filter(pk=q.pk).exists())
        self.assertEqual(Answer.objects.filter(question=q).count(), 1)

    def test_deleting_an_unanswered_question(self):
        q = Question.objects.create(
            program=self.p.program, slug="city", label="City", kind=QuestionKind.SHORT_TEXT
        )
        response = self.client.post(
            reverse("programs:question_delete", args=[self.p.program.pk, q.pk]), follow=True
        )
        self.assertContains(response, "Deleted “City”.")
        self.assertFalse(Question.objects.filter(pk=q.pk).exists())

    def test_questions_move_up_and_down(self):
        program = self.p.program
        goals, department, gender = self.p.q_goals, self.p.q_department, self.p.q_gender

        def move(q: Question, to: str) -> list[str]:
            self.client.post(reverse("programs:question_move", args=[program.pk, q.pk]), {"to": to})
            return list(program.questions.values_list("slug", flat=True))

        self.assertEqual(move(gender, "up"), ["goals", "gender", "department"])
        self.assertEqual(move(goals, "down"), ["gender", "goals", "department"])
        self.assertEqual(move(gender, "up"), ["gender", "goals", "department"])  # already first
        self.assertEqual(move(department, "down"), ["gender", "goals", "department"])
