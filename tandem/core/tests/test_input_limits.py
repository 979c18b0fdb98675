"""Each odd input that used to answer 500 now gets a message naming the field and the rule, and
writes nothing: over-long email addresses, NUL bytes in a CSV, non-ASCII digits as ids and
cursors, too many choices, over-long texts and over-large requests."""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from django.urls import reverse

from tandem.accounts.models import EMAIL_MAX_LENGTH, User
from tandem.core.ids import parse_id, parse_ids
from tandem.core.testing import make_matching_fixture, make_personas
from tandem.matching.models import DraftMatch, DraftStatus
from tandem.organizations.models import CoordinatorInvitation
from tandem.programs.forms import MAX_CHOICE_LENGTH, MAX_CHOICES
from tandem.programs.models import Answer, Participant, Question, QuestionKind


def address_of_length(length: int) -> str:
    """A syntactically valid address of exactly `length` characters (Django accepts up to 320)."""
    domain = "northwind.example"
    local = "a" * 64
    labels = []
    remaining = length - len(local) - 1 - len(domain)
    while remaining > 0:
        label = "b" * min(63, remaining - 1)
        labels.append(label)
        remaining -= len(label) + 1
    address = f"{local}@{'.'.join([*labels, domain])}"
    assert len(address) == length, len(address)
    return address


def arabic_indic(number: int) -> str:
    """The number in Arabic-Indic digits: isdigit() says yes, and int() reads them."""
    return "".join(chr(0x0660 + int(d)) for d in str(number))


class IdParsingTests(TestCase):
    def test_ascii_digits_that_fit_a_bigint_are_ids(self):
        self.assertEqual(parse_id("42"), 42)
        self.assertEqual(parse_id(str(2**63 - 1)), 2**63 - 1)

    def test_anything_else_is_no_id(self):
        for value in (
            "",
            " 42",
            "42 ",
            "+42",
            "-1",
            "0",
            "1e3",
            "4.0",
            "²",
            "٣",
            "٤٢",
            "\uff14\uff12",  # fullwidth 42
            str(2**63),
            "9" * 30,
            "a\x00b",
            None,
            42,
            ["1"],
        ):
            with self.subTest(value=value):
                self.assertIsNone(parse_id(value))

    def test_a_list_keeps_its_ids_in_order_once_each(self):
        self.assertEqual(parse_ids(["3", "x", "٣", "1", "3", ""]), [3, 1])


class PersonasTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def import_csv(self, text: str) -> Any:
        self.client.force_login(self.p.coordinator)
        upload = SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")
        url = reverse("programs:import", args=[self.p.program.pk])
        return self.client.post(url, {"file": upload})


class EmailLengthTests(PersonasTestCase):
    def test_the_longest_address_django_accepts_overflows_the_column(self):
        # The premise of these tests: validate_email lets 255–320 characters through.
        from django.core.validators import validate_email

        validate_email(address_of_length(320))
        self.assertEqual(User._meta.get_field("email").max_length, EMAIL_MAX_LENGTH)

    def test_sign_up_refuses_an_address_over_254_characters(self):
        before = User.objects.count()
        for length in (255, 300, 320):
            with self.subTest(length=length):
                response = self.client.post(
                    reverse("signup"),
                    {
                        "full_name": "Long Address",
                        "email": address_of_length(length),
                        "password1": "a-long-enough-password-1",
                        "password2": "a-long-enough-password-1",
                    },
                )
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "at most 254 characters")
        self.assertEqual(User.objects.count(), before)

    def test_sign_up_takes_an_address_of_exactly_254_characters(self):
        response = self.client.post(
            reverse("signup"),
            {
                "full_name": "Long Address",
                "email": address_of_length(254),
                "password1": "a-long-enough-password-1",
                "password2": "a-long-enough-password-1",
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertTrue(User.objects.filter(email=address_of_length(254)).exists())

    def test_bulk_invitations_refuse_an_address_over_254_characters(self):
        self.client.force_login(self.p.coordinator)
        before = Participant.objects.count(), User.objects.count()
        emails = f"new@northwind.example\n{address_of_length(300)}"
        response = self.client.post(
            reverse("programs:invitations", args=[self.p.program.pk]),
            {"invite": "1", "emails": emails, "role": "mentee"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "An email address has at most 254 characters")
        self.assertContains(response, "(300)")
        self.assertEqual((Participant.objects.count(), User.objects.count()), before)

    def test_coordinator_invitations_refuse_an_address_over_254_characters(self):
        self.client.force_login(self.p.admin)
        response = self.client.post(
            reverse("organizations:members", args=[self.p.northwind.pk]),
            {"email": address_of_length(255), "role": "coordinator"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "at most 254 characters")
        self.assertFalse(CoordinatorInvitation.objects.exists())

    def test_the_csv_import_refuses_an_address_over_254_characters(self):
        response = self.import_csv(
            f"email,role\nok@northwind.example,mentee\n{address_of_length(256)},mentee\n"
        )
        self.assertContains(response, "Row 3, column “email”")
        self.assertContains(response, "at most 254 characters; this one has 256")
        self.assertFalse(User.objects.filter(email="ok@northwind.example").exists())


class CsvTests(PersonasTestCase):
    def test_a_nul_in_a_name_or_an_answer_rejects_the_file_with_its_row_and_column(self):
        Question.objects.create(
            program=self.p.program, slug="team", label="Team", kind=QuestionKind.SHORT_TEXT
        )
        before = User.objects.count(), Participant.objects.count(), Answer.objects.count()
        text = (
            "email,name,role,team\n"
            "ok@northwind.example,Ok,mentee,Sales\n"
            "nul@northwind.example,Nu\x00ll,mentee,Sales\n"
            "ans@northwind.example,Ans,mentee,Sa\x00les\n"
        )
        response = self.import_csv(text)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Row 3, column “name”: contains a NUL character")
        self.assertContains(response, "Row 4, column “team”: contains a NUL character")
        after = User.objects.count(), Participant.objects.count(), Answer.objects.count()
        self.assertEqual(after, before)

    def test_a_file_over_the_size_limit_is_refused_before_it_is_read(self):
        with mock.patch("tandem.programs.forms.MAX_IMPORT_BYTES", 1_048_576):
            response = self.import_csv("email,role\n" + "x@northwind.example,mentee\n" * 60_000)
        self.assertContains(response, "A CSV file can be at most 1 MB")
        self.assertFalse(User.objects.filter(email="x@northwind.example").exists())


class NonAsciiIdTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.m = make_matching_fixture(cls.p)

    def test_a_draft_id_in_other_digits_approves_nothing(self):
        self.client.force_login(self.p.coordinator)
        draft = self.m.draft
        response = self.client.post(
            reverse("matching:run_approve", args=[self.p.program.pk, self.m.run.pk]),
            {"draft": [arabic_indic(draft.pk), "²"]},
            follow=True,
        )
        self.assertContains(response, "Select the drafts to approve.")
        self.assertEqual(DraftMatch.objects.get(pk=draft.pk).status, DraftStatus.PROPOSED)

    def test_a_mentor_id_in_other_digits_swaps_nobody_in(self):
        self.client.force_login(self.p.coordinator)
        draft = self.m.draft
        response = self.client.post(
            reverse("matching:draft_swap", args=[self.p.program.pk, draft.pk]),
            {"mentor": arabic_indic(self.p.mentor_participant.pk)},
            follow=True,
        )
        self.assertContains(response, "Choose one of the mentors listed to swap in.")
        self.assertEqual(DraftMatch.objects.filter(run=self.m.run).count(), 1)

    def test_cursors_in_other_digits_show_the_first_page(self):
        self.client.force_login(self.p.coordinator)
        pid = self.p.program.pk
        for url in (
            reverse("programs:participants", args=[pid]),
            reverse("matching:manual", args=[pid]),
        ):
            for cursor in ("²", "٣", arabic_indic(self.p.mentee_participant.pk), "9" * 30):
                with self.subTest(url=url, cursor=cursor):
                    first = self.client.get(url)
                    for param in ("after", "before"):
                        response = self.client.get(url, {param: cursor})
                        self.assertEqual(response.status_code, 200)
                        self.assertEqual(
                            response.context["page"].object_list, first.context["page"].object_list
                        )

    def test_an_id_in_a_path_too_big_for_any_column_is_404(self):
        self.client.force_login(self.p.coordinator)
        for pk in (str(2**63), "9" * 30):
            with self.subTest(pk=pk):
                response = self.client.get(f"/programs/{pk}/")
                self.assertEqual(response.status_code, 404)


class ChoiceAndTextLimitTests(PersonasTestCase):
    def setUp(self):
        self.client.force_login(self.p.coordinator)

    def add_question(self, choices: list[str]) -> Any:
        return self.client.post(
            reverse("programs:questions", args=[self.p.program.pk]),
            {
                "label": "Favourite city",
                "slug": "city",
                "kind": QuestionKind.SINGLE_CHOICE,
                "audience": "both",
                "visibility": "public",
                "choices_text": "\n".join(choices),
            },
        )

    def test_a_question_has_at_most_a_hundred_choices(self):
        response = self.add_question([f"City {i}" for i in range(20_000)])
        self.assertContains(
            response, f"A question has at most {MAX_CHOICES} choices; this one has 20000."
        )
        self.assertFalse(Question.objects.filter(slug="city").exists())

    def test_a_hundred_choices_are_fine(self):
        response = self.add_question([f"City {i}" for i in range(MAX_CHOICES)])
        self.assertEqual(response.status_code, 302)
        self.assertEqual(len(Question.objects.get(slug="city").choices), MAX_CHOICES)

    def test_a_choice_has_at_most_two_hundred_characters(self):
        response = self.add_question(["Paris", "L" * (MAX_CHOICE_LENGTH + 1)])
        self.assertContains(response, f"A choice has at most {MAX_CHOICE_LENGTH} characters")
        self.assertFalse(Question.objects.filter(slug="city").exists())

    def test_a_program_description_has_a_length_limit(self):
        program = self.p.program
        response = self.client.post(
            reverse("programs:edit", args=[program.pk]),
            {
                "name": program.name,
                "description": "d" * 5001,
                "format": program.format,
                "duration_weeks": program.duration_weeks,
                "smart_matching": "on",
                "default_mentor_capacity": 2,
                "match_rate_target": 70,
                "guidelines": program.guidelines,
            },
        )
        self.assertContains(
            response, "Ensure this value has at most 5000 characters (it has 5001)."
        )
        program.refresh_from_db()
        self.assertNotEqual(program.description, "d" * 5001)


class RequestSizeTests(PersonasTestCase):
    @override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10_000)
    def test_a_form_over_the_size_limit_gets_a_page_that_says_so_and_saves_nothing(self):
        self.client.force_login(self.p.coordinator)
        response = self.client.post(
            reverse("programs:invitations", args=[self.p.program.pk]),
            {"invite": "1", "emails": "n@northwind.example\n" * 1000, "role": "mentee"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "Request not accepted", status_code=400)
        self.assertContains(response, "nothing was saved", status_code=400)
        self.assertFalse(User.objects.filter(email="n@northwind.example").exists())

    def test_too_many_fields_get_the_same_page(self):
        self.client.force_login(self.p.coordinator)
        fields = {f"f{i}": "x" for i in range(2500)}
        response = self.client.post(reverse("programs:edit", args=[self.p.program.pk]), fields)
        self.assertContains(response, "Request not accepted", status_code=400)


class SearchTextTests(PersonasTestCase):
    def test_a_search_with_a_nul_or_over_200_characters_is_refused_and_lists_everyone(self):
        self.client.force_login(self.p.coordinator)
        url = reverse("matching:manual", args=[self.p.program.pk])
        everyone = self.client.get(url).context["page"].object_list
        for query, message in (
            ("Mi\x00a", "Null characters are not allowed."),
            ("m" * 201, "at most 200"),
        ):
            with self.subTest(query=query[:8]):
                response = self.client.get(url, {"q": query})
                self.assertContains(response, message)
                self.assertEqual(response.context["page"].object_list, everyone)
