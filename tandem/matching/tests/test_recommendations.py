"""Self-match browse: search, filters by public answers only, pages, and the ranking kept."""

from __future__ import annotations

from django.test import TestCase, override_settings
from django.urls import reverse

from tandem.core.testing import make_personas
from tandem.matching.models import MatchingRules
from tandem.matching.services import criterion_create
from tandem.matching.tests.people import add_mentor
from tandem.programs.models import Question, QuestionKind


class BrowseTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        program = cls.p.program
        program.self_matching = True
        program.save(update_fields=["self_matching"])
        MatchingRules.objects.update_or_create(program=program, defaults={})
        cls.q_bio = Question.objects.create(
            program=program, slug="bio", label="About me", kind=QuestionKind.SHORT_TEXT
        )
        # Marco (Engineering, from the personas) and four more; gender is a private question.
        cls.ada = add_mentor(
            program,
            "ada@northwind.example",
            department="Engineering",
            gender="Woman",
            bio="Compilers and chess",
        )
        cls.ben = add_mentor(
            program, "ben@northwind.example", department="Sales", gender="Man", bio="Negotiation"
        )
        cls.cat = add_mentor(
            program, "cat@northwind.example", department="Sales", gender="Woman", bio="Chess"
        )
        cls.dan = add_mentor(program, "dan@northwind.example", department="Sales")
        # Mia is in Sales: the same department ranks first.
        criterion_create(
            program=program,
            actor=cls.p.coordinator,
            name="Same department",
            type="same",
            mentee_attribute="department",
            mentor_attribute="department",
            required=False,
        )

    def setUp(self):
        self.client.force_login(self.p.mentee)
        self.url = reverse("matching:browse", args=[self.p.program.pk])

    def shown(self, **query: str) -> list[str]:
        response = self.client.get(self.url, query)
        self.assertEqual(response.status_code, 200)
        return [
            entry.participant.user.email.split("@")[0]
            for entry in response.context["page"].object_list
        ]

    def test_the_ranking_puts_the_same_department_first(self):
        shown = self.shown()
        self.assertEqual(sorted(shown[:3]), ["ben", "cat", "dan"])
        self.assertEqual(sorted(shown[3:]), ["ada", "marco"])

    def test_search_by_name_and_by_public_answer(self):
        self.assertEqual(self.shown(q="ADA"), ["ada"])
        self.assertEqual(sorted(self.shown(q="chess")), ["ada", "cat"])
        # Every word must match.
        self.assertEqual(self.shown(q="chess sales"), ["cat"])
        self.assertEqual(self.shown(q="nobody-has-this"), [])

    def test_filter_by_a_public_answer_keeps_the_ranking(self):
        self.assertEqual(sorted(self.shown(a_department="Engineering")), ["ada", "marco"])
        everyone = self.shown()
        sales = self.shown(a_department="Sales")
        self.assertEqual(sales, [name for name in everyone if name in {"ben", "cat", "dan"}])
        response = self.client.get(self.url, {"a_department": "Sales"})
        self.assertContains(response, "3 mentors with room match your search.")

    def test_a_private_answer_can_be_neither_filtered_nor_searched_nor_counted(self):
        response = self.client.get(self.url)
        # No filter is offered for the private question, nor is its answer on a card.
        self.assertNotContains(response, 'name="a_gender"')
        self.assertNotContains(response, "Woman")
        everyone = self.shown()
        # A hand-made filter on it is ignored: the same mentors, the same count.
        self.assertEqual(self.shown(a_gender="Woman"), everyone)
        self.assertEqual(self.client.get(self.url, {"a_gender": "Woman"}).context["page"].count, 5)
        # Searching for a private answer finds nobody (no public answer says it).
        self.assertEqual(self.shown(q="Woman"), [])
        self.assertEqual(self.shown(q="man"), [])

    @override_settings(MENTORS_PER_PAGE=2)
    def test_pages_walk_the_ranked_list_once(self):
        everyone = self.shown()  # the first page only
        self.assertEqual(len(everyone), 2)
        seen: list[int] = []
        query: dict[str, str] = {}
        for _ in range(5):
            response = self.client.get(self.url, query)
            page = response.context["page"]
            seen += [e.participant.pk for e in page.object_list]
            if not page.has_next:
                break
            self.assertContains(response, f"after={page.next_cursor}")
            query = {"after": str(page.next_cursor)}
        self.assertEqual(len(seen), 5)
        self.assertEqual(len(set(seen)), 5)
        # The search is kept across pages.
        response = self.client.get(self.url, {"a_department": "Sales"})
        self.assertContains(response, "a_department=Sales&amp;after=")

    def test_a_bad_filter_value_is_a_message_not_a_500(self):
        response = self.client.get(self.url, {"a_department": "Marketing"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Department: Select a valid choice.")
