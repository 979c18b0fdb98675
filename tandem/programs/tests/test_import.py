"""The CSV import of participants: all or nothing, idempotent by email, row-and-column errors."""

from __future__ import annotations

import io
import threading
from typing import Any

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase, TransactionTestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.accounts.models import User
from tandem.core.testing import make_personas
from tandem.organizations.models import Membership
from tandem.programs import services
from tandem.programs.imports import ImportFailed, participants_import_csv
from tandem.programs.models import (
    Answer,
    Audience,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Program,
    ProgramStatus,
    Question,
    QuestionKind,
)

HEADER = "email,name,role,capacity,goals,department,years,languages,timezone"


def db_state() -> dict[str, list[Any]]:
    """Every row the import could touch, every field: equal states mean nothing was written."""
    return {
        "users": list(User.objects.order_by("pk").values()),
        "participants": list(Participant.objects.order_by("pk").values()),
        "answers": list(Answer.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
    }


def counts() -> tuple[int, int, int]:
    return User.objects.count(), Participant.objects.count(), Answer.objects.count()


class ImportTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        program = cls.p.program
        cls.q_years = Question.objects.create(
            program=program, slug="years", label="Years of experience", kind=QuestionKind.NUMBER
        )
        cls.q_languages = Question.objects.create(
            program=program, slug="languages", label="Languages", kind=QuestionKind.LANGUAGES
        )
        cls.q_timezone = Question.objects.create(
            program=program, slug="timezone", label="Time zone", kind=QuestionKind.TIMEZONE
        )

    def run_import(self, text: str | bytes, program: Program | None = None):
        data = text.encode() if isinstance(text, str) else text
        return participants_import_csv(
            program=program or self.p.program, file=io.BytesIO(data), imported_by=self.p.coordinator
        )

    def assert_rejected(self, text: str | bytes, *fragments: str) -> list[str]:
        """The file is refused with a message containing every fragment; nothing is written."""
        before, before_counts = db_state(), counts()
        with self.assertRaises(ImportFailed) as caught:
            self.run_import(text)
        errors = caught.exception.errors
        matching = [e for e in errors if all(f in e for f in fragments)]
        self.assertTrue(matching, f"no error names {fragments}: {errors}")
        self.assertEqual(counts(), before_counts)
        self.assertEqual(db_state(), before)
        return errors

    def answers_of(self, email: str) -> dict[str, Any]:
        return {
            a.question.slug: a.value
            for a in Answer.objects.filter(
                participant__program=self.p.program, participant__user__email=email
            ).select_related("question")
        }


class ImportHappyPathTests(ImportTestCase):
    def test_new_people_are_invited_with_their_answers(self):
        # Excel writes a byte-order mark and CRLF line ends; both are fine.
        text = (
            "\ufeff" + HEADER + "\r\n"
            "ana@northwind.example,Ana Ade,mentee,,Leadership;Public speaking,Sales,3,en;French,"
            "+5:30\r\n"
            "Ben@Northwind.example,Ben Bo,Mentor,3,,engineering,12.5,de,UTC-3\r\n"
        )
        before_users = User.objects.count()
        result = self.run_import(text)
        self.assertEqual((result.created, result.updated), (2, 0))
        self.assertEqual(User.objects.count(), before_users + 2)

        ana = Participant.objects.select_related("user").get(user__email="ana@northwind.example")
        self.assertEqual(ana.program, self.p.program)
        self.assertEqual(ana.user.full_name, "Ana Ade")
        self.assertFalse(ana.user.has_usable_password())  # they set it from their invitation
        self.assertEqual(
            (ana.role, ana.status, ana.capacity), (ParticipantRole.MENTEE, "invited", None)
        )
        self.assertIsNone(ana.invited_at)  # not emailed yet
        self.assertEqual(
            self.answers_of("ana@northwind.example"),
            {
                "goals": ["Leadership", "Public speaking"],
                "department": "Sales",
                "years": 3,
                "languages": ["en", "fr"],
                "timezone": 5.5,
            },
        )
        # The address is stored lower-cased; choices take the question's spelling.
        ben = Participant.objects.get(user__email="ben@northwind.example")
        self.assertEqual((ben.role, ben.capacity), (ParticipantRole.MENTOR, 3))
        self.assertEqual(
            self.answers_of("ben@northwind.example"),
            {"department": "Engineering", "years": 12.5, "languages": ["de"], "timezone": -3},
        )
        self.assertEqual(mail.outbox, [])  # nobody is emailed by an import

    def test_a_mentor_without_capacity_gets_the_programs_default(self):
        program = self.p.program
        program.default_mentor_capacity = 4
        program.save(update_fields=["default_mentor_capacity"])
        self.run_import("email,role\nnew.mentor@northwind.example,mentor\n")
        participant = Participant.objects.get(user__email="new.mentor@northwind.example")
        self.assertEqual(participant.capacity, 4)

    def test_people_already_in_the_program_are_updated_not_duplicated(self):
        p = self.p
        text = f"email,role,department,goals\n{p.mentee.email.upper()},mentee,Engineering,\n"
        result = self.run_import(text)
        self.assertEqual((result.created, result.updated), (0, 1))
        mentee = Participant.objects.get(pk=p.mentee_participant.pk)
        self.assertEqual(mentee.status, ParticipantStatus.JOINED)  # status is kept
        # The file's answers replace hers for its columns; the blank goals cell clears them;
        # the private answer (no column) is untouched.
        self.assertEqual(
            self.answers_of(p.mentee.email), {"department": "Engineering", "gender": "Woman"}
        )
        self.assertEqual(Participant.objects.filter(user=p.mentee).count(), 1)

    def test_an_existing_account_keeps_the_name_its_owner_chose(self):
        p = self.p
        self.run_import(f"email,name,role\n{p.outsider.email},Somebody Else,mentee\n")
        p.outsider.refresh_from_db()
        self.assertEqual(p.outsider.full_name, "Oscar Outsider")
        self.assertTrue(p.outsider.has_usable_password())

    def test_importing_the_same_file_twice_changes_nothing(self):
        p = self.p
        text = (
            HEADER + "\n"
            "ana@northwind.example,Ana Ade,mentee,,Leadership,Sales,3,en,+1\n"
            "ben@northwind.example,,mentor,2,,Engineering,7,fr;de,-3:30\n"
            f"{p.mentee.email},,mentee,,Public speaking,Sales,1.5,,0\n"
            f"{p.mentor.email},,mentor,2,,Engineering,,,\n"
        )
        self.run_import(text)
        after_first = db_state()
        second = self.run_import(text)
        self.assertEqual(second.created, 0)
        self.assertEqual(db_state(), after_first)

    def test_invitations_go_to_the_imported_people_when_the_coordinator_sends_them(self):
        p = self.p
        self.run_import("email,role\nana@northwind.example,mentee\nben@northwind.example,mentor\n")
        with self.captureOnCommitCallbacks(execute=True):
            sent = services.participants_send_pending_invitations(
                program=p.program, invited_by=p.coordinator
            )
        self.assertEqual(sent, 2)
        self.assertEqual(
            sorted(m.to[0] for m in mail.outbox),
            ["ana@northwind.example", "ben@northwind.example"],
        )
        for message in mail.outbox:
            participant = Participant.objects.get(user__email=message.to[0])
            link = reverse("programs:join_invitation", args=[participant.invitation_token])
            self.assertIn(link, message.body)

    def test_a_few_hundred_rows(self):
        rows = 300
        departments = self.p.q_department.choices
        lines = ["email,name,role,capacity,department,years"]
        for i in range(rows):
            role = "mentor" if i % 3 == 0 else "mentee"
            capacity = str(i % 4) if role == "mentor" else ""
            lines.append(
                f"person{i:03d}@northwind.example,Person {i:03d},{role},{capacity},"
                f"{departments[i % 2]},{i}"
            )
        text = "\n".join(lines) + "\n"
        result = self.run_import(text)
        self.assertEqual(result.created, rows)
        participants = {
            p.user.email: p
            for p in Participant.objects.filter(user__email__startswith="person").select_related(
                "user"
            )
        }
        self.assertEqual(len(participants), rows)
        answers = {
            (a.participant.user.email, a.question.slug): a.value
            for a in Answer.objects.filter(participant__in=participants.values()).select_related(
                "participant__user", "question"
            )
        }
        self.assertEqual(len(answers), 2 * rows)
        for i in range(rows):
            email = f"person{i:03d}@northwind.example"
            participant = participants[email]
            self.assertEqual(participant.user.full_name, f"Person {i:03d}")
            if i % 3 == 0:
                self.assertEqual((participant.role, participant.capacity), ("mentor", i % 4))
            else:
                self.assertEqual((participant.role, participant.capacity), ("mentee", None))
            self.assertEqual(answers[(email, "department")], departments[i % 2])
            self.assertEqual(answers[(email, "years")], i)
        state = db_state()
        self.run_import(text)
        self.assertEqual(db_state(), state)

    def test_no_query_per_row(self):
        """Bulk reads and writes: 300 people take far fewer than 300 queries.

        (SQLite caps the parameters of one statement, so bulk inserts come in batches of about a
        hundred rows there: the count grows a little with size, but never by one per row.)
        """
        rows = 300
        program = Program.objects.create(
            organization=self.p.northwind,
            name="Import",
            guidelines="Be kind.",
            status=ProgramStatus.OPEN,
        )
        Question.objects.create(
            program=program, slug="team", label="Team", kind=QuestionKind.SHORT_TEXT
        )
        text = "email,role,team\n" + "".join(
            f"p{i}@northwind.example,mentee,Team {i}\n" for i in range(rows)
        )
        with CaptureQueriesContext(connection) as captured:
            self.run_import(text, program=program)
        self.assertEqual(program.participants.count(), rows)
        self.assertLess(len(captured), rows / 10)


class ImportBadInputTests(ImportTestCase):
    """Every rejected file names where the problem is and leaves the database as it was."""

    GOOD_ROW = "ana@northwind.example,Ana Ade,mentee,,Leadership,Sales,3,en,+1"

    def test_missing_column(self):
        text = "email,name,capacity\nana@northwind.example,Ana Ade,\n"
        self.assert_rejected(text, "Row 1", "missing column “role”")

    def test_unknown_role(self):
        text = f"{HEADER}\n{self.GOOD_ROW}\nben@northwind.example,Ben,coach,,,Sales,,,\n"
        self.assert_rejected(text, "Row 3", "column “role”", "coach")

    def test_a_role_this_program_does_not_have(self):
        # "both" is a role, but this program does not allow people to be both.
        text = f"{HEADER}\n{self.GOOD_ROW}\nben@northwind.example,Ben,both,,,Sales,,,\n"
        self.assert_rejected(text, "Row 3", "column “role”", "not a role in this program")

    def test_bad_capacity(self):
        for bad in ("two", "-1", "51", "1.5", "²"):
            with self.subTest(capacity=bad):
                text = f"{HEADER}\n{self.GOOD_ROW}\nben@northwind.example,Ben,mentor,{bad},,,,,\n"
                self.assert_rejected(text, "Row 3", "column “capacity”", bad)

    def test_bad_number_answer(self):
        for bad in ("ten", "NaN", "1e5000"):
            with self.subTest(years=bad):
                text = f"{HEADER}\n{self.GOOD_ROW}\nben@northwind.example,Ben,mentor,1,,,{bad},,\n"
                self.assert_rejected(text, "Row 3", "column “years”", bad)

    def test_duplicate_email_in_the_file(self):
        # The same address in another case is the same person.
        text = f"{HEADER}\n{self.GOOD_ROW}\nANA@northwind.example,Ana Again,mentee,,,,,,\n"
        self.assert_rejected(text, "Row 3", "column “email”", "also on row 2")

    def test_unknown_choice(self):
        text = f"{HEADER}\n{self.GOOD_ROW}\nben@northwind.example,Ben,mentee,,,Marketing,,,\n"
        self.assert_rejected(text, "Row 3", "column “department”", "Marketing")

    def test_unknown_choice_among_several_values(self):
        text = f"{HEADER}\n{self.GOOD_ROW}\nben@northwind.example,Ben,mentee,,Leadership;Golf,,,,\n"
        self.assert_rejected(text, "Row 3", "column “goals”", "Golf")

    def test_unknown_language_and_bad_timezone(self):
        text = f"{HEADER}\n{self.GOOD_ROW}\nben@northwind.example,Ben,mentee,,,,,Klingon,+25\n"
        errors = self.assert_rejected(text, "Row 3", "column “languages”", "Klingon")
        self.assertTrue(any("Row 3, column “timezone”" in e for e in errors), errors)

    def test_bad_email(self):
        text = f"{HEADER}\n{self.GOOD_ROW}\nnot-an-address,Ben,mentee,,,,,,\n"
        self.assert_rejected(text, "Row 3", "column “email”", "not-an-address")

    def test_unknown_column(self):
        text = "email,role,favourite_colour\nana@northwind.example,mentee,blue\n"
        self.assert_rejected(text, "Row 1", "column “favourite_colour”", "not a question")

    def test_wrong_number_of_cells(self):
        text = f"{HEADER}\n{self.GOOD_ROW}\nben@northwind.example,Ben,mentee\n"
        self.assert_rejected(text, "Row 3", "3 cells", "9")

    def test_bytes_that_are_not_utf8(self):
        text = (
            f"{HEADER}\n{self.GOOD_ROW}\n".encode()
            + "zoë@northwind.example,Zoë,mentee,,,,,,\n".encode("latin-1")
        )
        self.assert_rejected(text, "Row 3", "not UTF-8")

    def test_empty_file(self):
        self.assert_rejected(b"", "empty")

    def test_header_only(self):
        self.assert_rejected(f"{HEADER}\n", "no participants")

    def test_every_problem_is_listed_at_once(self):
        text = (
            f"{HEADER}\n"
            "ana@northwind.example,Ana,mentee,,,Marketing,,,\n"
            "ben@northwind.example,Ben,coach,,,,,,\n"
        )
        errors = self.assert_rejected(text, "Row 2", "column “department”")
        self.assertTrue(any("Row 3, column “role”" in e for e in errors), errors)


class ImportPageTests(ImportTestCase):
    def setUp(self):
        self.client.force_login(self.p.coordinator)

    def upload(self, text: str):
        upload = SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")
        return self.client.post(
            reverse("programs:import", args=[self.p.program.pk]), {"file": upload}, follow=True
        )

    def test_errors_are_shown_on_the_page_and_nothing_is_imported(self):
        before = db_state()
        response = self.upload(
            f"{HEADER}\nana@northwind.example,Ana,mentee,,,Marketing,,,\n"
            "ben@northwind.example,Ben,coach,,,,,,\n"
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Nothing was imported")
        self.assertContains(response, "Row 2, column “department”")
        self.assertContains(response, "Row 3, column “role”")
        self.assertEqual(db_state(), before)

    def test_a_good_file_lands_on_the_participants_list(self):
        response = self.upload("email,name,role\nana@northwind.example,Ana Ade,mentee\n")
        self.assertRedirects(response, reverse("programs:participants", args=[self.p.program.pk]))
        self.assertContains(response, "1 new")
        self.assertContains(response, "Ana Ade")

    def test_the_page_lists_the_question_slugs_as_columns(self):
        Question.objects.create(
            program=self.p.program,
            slug="expertise",
            label="Expertise",
            kind=QuestionKind.SHORT_TEXT,
            audience=Audience.MENTORS,
        )
        response = self.client.get(reverse("programs:import", args=[self.p.program.pk]))
        self.assertContains(response, "<code>expertise</code>", html=True)


class ImportSummaryAndRoleTests(ImportTestCase):
    def test_the_summary_counts_new_updated_and_unchanged(self):
        p = self.p
        self.run_import(f"email,role,department\n{p.mentor.email},mentor,Engineering\n")
        text = (
            "email,role,department\n"
            "ana@northwind.example,mentee,Sales\n"  # new
            f"{p.mentee.email},mentee,Engineering\n"  # her department changes
            f"{p.mentor.email},mentor,Engineering\n"  # exactly as stored
        )
        result = self.run_import(text)
        self.assertEqual((result.created, result.updated, result.unchanged), (1, 1, 1))
        self.assertEqual(
            result.summary(), "Imported 3 participants: 1 new, 1 updated, 1 unchanged."
        )

    def test_an_answer_to_a_question_not_asked_of_the_role_is_refused(self):
        # "goals" is asked of mentees only: a mentor's goals would be stored and never shown.
        text = f"{HEADER}\nben@northwind.example,Ben,mentor,1,Leadership,Sales,,,\n"
        self.assert_rejected(text, "Row 2", "column “goals”", "for mentees only")


class ConcurrentImportTests(TransactionTestCase):
    def test_two_imports_of_the_same_new_people_at_once_add_each_person_once(self):
        p = make_personas()
        text = "email,role\n" + "".join(f"new{i}@northwind.example,mentee\n" for i in range(30))
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run() -> None:
            try:
                barrier.wait()
                participants_import_csv(
                    program=p.program, file=io.BytesIO(text.encode()), imported_by=p.coordinator
                )
            except BaseException as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(Participant.objects.filter(user__email__startswith="new").count(), 30)
        self.assertEqual(User.objects.filter(email__startswith="new").count(), 30)
