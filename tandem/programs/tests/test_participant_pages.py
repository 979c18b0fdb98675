"""The pages around participants: the coordinator's list, detail and overview; the person's own."""

from __future__ import annotations

import re

from django.conf import settings
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import User
from tandem.core.testing import make_matching_fixture, make_personas
from tandem.programs.models import (
    Answer,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Question,
    QuestionKind,
)


class ParticipantListTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        program = cls.p.program
        # Six more people: (name, role, status, department)
        people = [
            ("Ada Lovelace", "mentor", "joined", "Engineering"),
            ("Ben Okri", "mentee", "joined", "Sales"),
            ("Chloé Zhao", "mentee", "invited", "Engineering"),
            ("Dev Patel", "mentor", "withdrawn", "Sales"),
            ("Elif Shafak", "mentee", "joined", None),
            ("Farah Khan", "mentor", "invited", "Engineering"),
        ]
        for name, role, status, department in people:
            first = name.split()[0].lower().replace("é", "e")
            user = User.objects.create(email=f"{first}@northwind.example", full_name=name)
            participant = Participant.objects.create(
                program=program, user=user, role=role, status=status, capacity=1
            )
            if department:
                Answer.objects.create(
                    participant=participant, question=cls.p.q_department, value=department
                )

    def setUp(self):
        self.client.force_login(self.p.coordinator)
        self.url = reverse("programs:participants", args=[self.p.program.pk])

    def names(self, **query: str) -> list[str]:
        response = self.client.get(self.url, query)
        self.assertEqual(response.status_code, 200)
        return [row.name for row in response.context["page"].object_list]

    def test_everyone_in_name_order(self):
        self.assertEqual(
            self.names(),
            [
                "Ada Lovelace",
                "Ben Okri",
                "Chloé Zhao",
                "Dev Patel",
                "Elif Shafak",
                "Farah Khan",
                "Marco Mentor",
                "Mia Mentee",
            ],
        )

    def row(self, email: str, cells: str) -> str:
        participant = Participant.objects.select_related("user").get(user__email=email)
        detail = reverse("programs:participant", args=[self.p.program.pk, participant.pk])
        name = participant.user.full_name
        return f'<tr><td><a href="{detail}">{name}</a></td><td>{email}</td>{cells}</tr>'

    def test_each_row_links_to_the_participant_and_shows_role_status_and_capacity(self):
        response = self.client.get(self.url, {"q": "northwind"})
        mentee = self.row("ben@northwind.example", "<td>Mentee</td><td>Joined</td><td>—</td>")
        mentor = self.row("farah@northwind.example", "<td>Mentor</td><td>Invited</td><td>1</td>")
        self.assertContains(response, mentee, html=True)
        self.assertContains(response, mentor, html=True)
        detail = re.search(r'href="([^"]+)">Ben Okri<', response.text)
        assert detail is not None
        self.assertContains(self.client.get(detail.group(1)), "ben@northwind.example")

    def test_search_by_name_or_email_in_any_case(self):
        self.assertEqual(self.names(q="LOVE"), ["Ada Lovelace"])
        self.assertEqual(self.names(q="mia@north"), ["Mia Mentee"])
        self.assertEqual(self.names(q="nobody-like-this"), [])

    def test_filters_by_role_status_and_answer_combine(self):
        self.assertEqual(
            self.names(role="mentor"), ["Ada Lovelace", "Dev Patel", "Farah Khan", "Marco Mentor"]
        )
        self.assertEqual(self.names(status="invited"), ["Chloé Zhao", "Farah Khan"])
        self.assertEqual(
            self.names(a_department="Engineering"),
            ["Ada Lovelace", "Chloé Zhao", "Farah Khan", "Marco Mentor"],
        )
        self.assertEqual(
            self.names(a_department="Engineering", role="mentor", status="joined"),
            ["Ada Lovelace", "Marco Mentor"],
        )

    def test_only_single_choice_questions_are_offered_as_filters(self):
        response = self.client.get(self.url)
        form = response.context["form"]
        self.assertIn("a_department", form.fields)
        self.assertIn("a_gender", form.fields)
        self.assertNotIn("a_goals", form.fields)  # multiple choice

    def add_extras(self, count: int) -> list[Participant]:
        now = timezone.now()
        User.objects.bulk_create(
            User(email=f"extra{i:03d}@northwind.example", full_name=f"Extra {i:03d}")
            for i in range(count)
        )
        Participant.objects.bulk_create(
            Participant(
                program=self.p.program, user=u, role="mentee", status="joined", joined_at=now
            )
            for u in User.objects.filter(email__startswith="extra")
        )
        return list(
            self.p.program.participants.filter(user__email__startswith="extra").order_by(
                "user__email"
            )
        )

    def test_pages_follow_on_and_keep_the_filters(self):
        per_page = settings.PARTICIPANTS_PER_PAGE
        extras = self.add_extras(2 * per_page + 5)
        expected = [f"Extra {i:03d}" for i in range(2 * per_page + 5)]
        first = self.client.get(self.url, {"q": "extra"})
        self.assertEqual(self.names(q="extra"), expected[:per_page])
        self.assertContains(first, f"{2 * per_page + 5} participants")
        # Links carry the search and the last row shown (its id, never its name or email).
        last_shown = extras[per_page - 1].pk
        self.assertContains(first, f'href="?q=extra&amp;after={last_shown}" rel="next"')
        self.assertNotContains(first, 'rel="prev"')
        second = self.names(q="extra", after=str(last_shown))
        self.assertEqual(second, expected[per_page : 2 * per_page])
        third = self.client.get(self.url, {"q": "extra", "after": str(extras[2 * per_page - 1].pk)})
        self.assertEqual(
            [row.name for row in third.context["page"].object_list], expected[2 * per_page :]
        )
        self.assertNotContains(third, 'rel="next"')
        # Back from the third page is the second; back from the second is the first.
        back = self.names(q="extra", before=str(extras[2 * per_page].pk))
        self.assertEqual(back, expected[per_page : 2 * per_page])
        start = self.client.get(self.url, {"q": "extra", "before": str(extras[per_page].pk)})
        self.assertEqual(
            [row.name for row in start.context["page"].object_list], expected[:per_page]
        )
        self.assertNotContains(start, 'rel="prev"')
        self.assertEqual(self.names(q="extra", last="1"), expected[-per_page:])

    def test_the_count_has_thousands_separators(self):
        self.add_extras(1000)
        response = self.client.get(self.url)
        self.assertContains(response, '<p id="result-count">1,008 participants</p>', html=True)

    def test_a_cursor_that_left_the_filtered_list_still_marks_the_place(self):
        per_page = settings.PARTICIPANTS_PER_PAGE
        extras = self.add_extras(per_page + 5)
        Participant.objects.filter(pk=extras[9].pk).update(status="withdrawn")
        self.assertEqual(
            self.names(status="joined", q="extra", after=str(extras[9].pk))[:2],
            ["Extra 010", "Extra 011"],
        )

    def test_a_bad_cursor_shows_the_first_page(self):
        outsider = Participant.objects.create(
            program=self.p.globex_program, user=self.p.outsider, role="mentee", status="joined"
        )
        first = self.names()
        for cursor in ("abc", "-3", "99999999", "9" * 40, str(outsider.pk)):
            with self.subTest(cursor=cursor):
                self.assertEqual(self.names(after=cursor), first)
                self.assertEqual(self.names(before=cursor), first)


class ParticipantDetailTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_all_answers_with_private_ones_marked(self):
        p = self.p
        self.client.force_login(p.coordinator)
        response = self.client.get(
            reverse("programs:participant", args=[p.program.pk, p.mentee_participant.pk])
        )
        self.assertEqual(
            [(q.slug, shown) for q, shown in response.context["answers"]],
            [("goals", "Leadership"), ("department", "Sales"), ("gender", "Woman")],
        )
        self.assertContains(
            response, '<dt>Gender <span class="badge private">Private</span></dt>', html=True
        )
        self.assertContains(response, "<dt>Department</dt>", html=True)

    def test_questions_not_asked_of_the_role_are_left_out(self):
        p = self.p
        self.client.force_login(p.coordinator)
        response = self.client.get(
            reverse("programs:participant", args=[p.program.pk, p.mentor_participant.pk])
        )
        # Goals are asked of mentees only; Marco left the optional gender question blank.
        self.assertEqual(
            [(q.slug, shown) for q, shown in response.context["answers"]],
            [("department", "Engineering"), ("gender", "")],
        )
        self.assertContains(response, "Not answered")
        self.assertContains(response, "capacity 2")


class ProgramOverviewTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_counts_by_role_and_status(self):
        p = self.p
        program = p.program
        extra = [
            ("mentee", "invited"),
            ("mentee", "invited"),
            ("mentor", "withdrawn"),
            ("both", "joined"),
        ]
        for i, (role, status) in enumerate(extra):
            user = User.objects.create(email=f"x{i}@northwind.example")
            Participant.objects.create(program=program, user=user, role=role, status=status)
        # Someone in another program is not counted.
        Participant.objects.create(
            program=p.other_program, user=p.mentee, role="mentee", status="joined"
        )
        self.client.force_login(p.coordinator)
        response = self.client.get(reverse("programs:overview", args=[program.pk]))
        counts = response.context["counts"]
        # Marco (mentor, joined) and Mia (mentee, joined) plus the four above.
        self.assertEqual(counts.total(), 6)
        self.assertEqual(counts.joined, 3)
        self.assertEqual(
            counts.rows(),
            [
                ("Mentee", [2, 1, 0], 3),
                ("Mentor", [0, 1, 1], 2),
                ("Mentor and mentee", [0, 1, 0], 1),
            ],
        )
        self.assertContains(response, '<span class="stat">6</span> participants in all', html=True)
        self.assertContains(
            response,
            "<tr><th scope='row'>Mentee</th><td>2</td><td>1</td><td>0</td><td>3</td></tr>",
            html=True,
        )
        # The columns are the participants' statuses, not the program's.
        header = re.search(r"<thead>(.*?)</thead>", response.content.decode(), re.S)
        assert header is not None
        labels = re.findall(r"<th scope=\"col\">([^<]*)</th>", header.group(1))
        self.assertEqual(labels, ["Role", "Invited", "Joined", "Withdrawn", "All"])


class MyProgramPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def setUp(self):
        self.client.force_login(self.p.mentee)
        self.program = self.p.program

    def url(self, name: str) -> str:
        return reverse(f"programs:{name}", args=[self.program.pk])

    def test_get_other_support_is_on_every_participant_page(self):
        support = self.url("support")
        for name in ("my_program", "my_profile", "support", "join_done"):
            with self.subTest(page=name):
                self.assertContains(self.client.get(self.url(name)), f'href="{support}"')
        self.assertContains(self.client.get(reverse("home")), f'href="{support}"')

    def test_support_shows_the_pathways_and_guidelines(self):
        response = self.client.get(self.url("support"))
        self.assertContains(response, "Employee Assistance")
        self.assertContains(response, "0800 555 0100")
        self.assertContains(response, self.program.guidelines)

    def test_my_program_says_what_happens_next_before_and_after_the_match(self):
        def next_text() -> str:
            content = self.client.get(self.url("my_program")).content.decode()
            part = content.split("What happens next</h2>")[1].split("<h2>")[0]
            return " ".join(re.sub(r"<[^>]+>", " ", part).split())

        self.assertIn("you will be told when you have a match", next_text())
        fixture = make_matching_fixture(self.p)  # Mia and Marco in a relationship
        text = next_text()
        self.assertNotIn("when you have a match", text)
        self.assertIn("You have a match.", text)
        self.assertIn("Marco Mentor", text)
        relationship_url = reverse("mentorships:relationship", args=[fixture.relationship.pk])
        self.assertContains(self.client.get(self.url("my_program")), f'href="{relationship_url}"')
        # Concluded, it is no longer a current match.
        fixture.relationship.status = "concluded"
        fixture.relationship.save(update_fields=["status"])
        self.assertIn("you will be told when you have a match", next_text())

    def test_my_program_shows_my_answers_private_ones_marked(self):
        response = self.client.get(self.url("my_program"))
        self.assertEqual(
            [(q.slug, shown) for q, shown in response.context["answers"]],
            [("goals", "Leadership"), ("department", "Sales"), ("gender", "Woman")],
        )
        self.assertContains(response, '<span class="badge private">Private</span>', html=True)

    def test_editing_my_answers(self):
        response = self.client.post(
            self.url("my_profile"),
            {"q_goals": ["Public speaking", "Leadership"], "q_department": "Engineering"},
        )
        self.assertRedirects(response, self.url("my_program"))
        answers = {
            a.question.slug: a.value
            for a in Answer.objects.filter(participant=self.p.mentee_participant).select_related(
                "question"
            )
        }
        # The optional private answer left blank is removed; choices keep the question's order.
        self.assertEqual(
            answers, {"goals": ["Leadership", "Public speaking"], "department": "Engineering"}
        )

    def test_a_bad_answer_names_the_field_and_changes_nothing(self):
        Question.objects.create(
            program=self.program,
            slug="years",
            label="Years of experience",
            kind=QuestionKind.NUMBER,
            required=False,
            position=9,
        )
        before = list(Answer.objects.order_by("pk").values())
        response = self.client.post(
            self.url("my_profile"),
            {"q_goals": ["Leadership"], "q_department": "", "q_years": "lots"},
        )
        self.assertContains(response, "Department: This field is required.")
        self.assertContains(response, "Years of experience: Enter a number.")
        self.assertEqual(list(Answer.objects.order_by("pk").values()), before)

    def test_withdrawing_asks_for_confirmation_first(self):
        # My program links to a page that says what withdrawing does.
        self.assertContains(
            self.client.get(self.url("my_program")), f'href="{self.url("withdraw")}"'
        )
        page = self.client.get(self.url("withdraw"))
        self.assertContains(page, "you will not be matched in this program")
        self.assertContains(page, 'name="confirm"')
        # The one-click post of before withdraws nobody, and says which box to tick.
        response = self.client.post(self.url("withdraw"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(
            response, "Yes, I want to withdraw: tick this box to withdraw. Nothing was changed."
        )
        participant = Participant.objects.get(pk=self.p.mentee_participant.pk)
        self.assertEqual(participant.status, ParticipantStatus.JOINED)
        self.assertIsNone(participant.withdrawn_at)

    def test_withdrawing(self):
        response = self.client.post(self.url("withdraw"), {"confirm": "on"}, follow=True)
        self.assertContains(response, f"You have withdrawn from {self.program.name}.")
        participant = Participant.objects.get(pk=self.p.mentee_participant.pk)
        self.assertEqual(participant.status, ParticipantStatus.WITHDRAWN)
        self.assertIsNotNone(participant.withdrawn_at)
        # Home no longer lists the program; the page of it still opens for them.
        self.assertNotContains(self.client.get(reverse("home")), self.url("my_program"))
        self.assertNotContains(self.client.get(self.url("my_program")), "Withdraw from")
        self.assertContains(
            self.client.get(self.url("withdraw")), "You have already withdrawn from this program."
        )
        response = self.client.post(self.url("withdraw"), {"confirm": "on"}, follow=True)
        self.assertContains(response, "You have already withdrawn from this program.")

    def test_a_mentor_sets_capacity_zero_to_pause(self):
        self.client.force_login(self.p.mentor)
        response = self.client.post(
            self.url("my_profile"), {"capacity": "0", "q_department": "Engineering"}
        )
        self.assertRedirects(response, self.url("my_program"))
        participant = Participant.objects.get(pk=self.p.mentor_participant.pk)
        self.assertEqual(participant.capacity, 0)
        self.assertFalse(participant.taking_mentees)
        self.assertEqual(participant.role, ParticipantRole.MENTOR)
