"""Matching pages: query counts that do not grow with the program, pagination, what participants
never see (drafts, private reasons), and the bad-input cases shown as explanations.

Who may open which page is the access matrix's job (tandem/core/tests/test_access_matrix.py);
these tests check what the pages contain.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from tandem.accounts.models import User
from tandem.core.testing import make_personas
from tandem.matching import services
from tandem.matching.models import (
    DraftMatch,
    MatchingRules,
    MatchRequest,
    MatchRun,
    PairRule,
    RunStatus,
)
from tandem.matching.problems import Segment
from tandem.matching.selectors import DRAFTS_PER_PAGE
from tandem.matching.tests.people import add_mentor, add_person
from tandem.mentorships.models import MatchSource, Relationship
from tandem.mentorships.services import relationship_create
from tandem.programs.models import Participant, ParticipantStatus

# One comment per query: the count asserted is the length of each list.
SESSION_AND_USER = ["the session", "the signed-in user"]
NAV = "whether the user coordinates anything (the main navigation)"
UNREAD = "the unread notifications count (the header's Notifications link)"
QUERIES = {
    "run": [
        *SESSION_AND_USER,
        "the program, if the user coordinates it",
        "the run (without its problem and result)",
        "draft counts by status, in one GROUP BY (the paginator's count too)",
        "the unmatched people named in the result, with their users",
        NAV,
        UNREAD,
        "one page of drafts with mentee, mentor and their users",
    ],
    "draft": [
        *SESSION_AND_USER,
        "the program, if the user coordinates it",
        "the draft with its run, people and who decided it",
        "the mentee's answers",
        "the program's questions (the mentee's profile)",
        "the mentor's answers",
        "the program's questions (the mentor's profile)",
        "the program's matching rules",
        "its criteria (which questions scored)",
        "the program's questions (the side-by-side rows)",
        "the run's snapshot (the first time this process shows a draft of the run)",
        "mentors of the run's live drafts (places left for swaps)",
        "the swap alternatives' participants and users",
        NAV,
        UNREAD,
    ],
    "suggestions": [
        *SESSION_AND_USER,
        "the program, if the user coordinates it",
        "the mentee",
        "the program's matching rules",
        "joined participants with their users (the problem)",
        "the criteria",
        "every answer of the program, in one query",
        "pinned and forbidden pairs",
        "the suggested mentors and their users",
        "every mentor's open load, in one GROUP BY",
        NAV,
        UNREAD,
    ],
    "rules": [
        *SESSION_AND_USER,
        "the program, if the user coordinates it",
        "the program's matching rules",
        "the questions (the rule form's validation)",
        "the questions (the rule form's choices)",
        "the matching rules again (pinned and forbidden pairs)",
        NAV,
        UNREAD,
        "the criteria listed",
        "the pair rules with both people and their users",
    ],
    "browse": [
        *SESSION_AND_USER,
        "the mentee's own participation with program and organization",
        "the program's questions (the filters, the search and the cards)",
        "the slugs of private questions (left out of the scores)",
        "the program's matching rules",
        "joined participants with their users (the problem)",
        "the criteria",
        "every answer of the program, in one query",
        "pinned and forbidden pairs",
        "every mentor's open load, in one GROUP BY",
        "open requests waiting per mentor, in one GROUP BY",
        "mentors this mentee has asked already",
        "joined mentors with their users",
        "the public answers of every mentor with room (search, filters, cards), in one query",
        "this mentee's open requests, counted",
        "the request limit (the matching rules)",
        "who is matched already",
        NAV,
        UNREAD,
    ],
    "my_requests": [
        *SESSION_AND_USER,
        "the participant's own participation",
        NAV,
        UNREAD,
        "their requests (sent or received) with both people and their users",
    ],
}


class QueryCountTests(TestCase):
    """Each page costs the same number of queries with 10 and with 40 of everything."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        program = cls.p.program
        program.self_matching = True
        program.save(update_fields=["self_matching"])
        MatchingRules.objects.create(program=program, max_open_requests=20)
        for name, slug in (("Same department", "department"), ("Gender", "gender")):
            services.criterion_create(
                program=program,
                actor=cls.p.coordinator,
                name=name,
                type="same",
                mentee_attribute=slug,
                mentor_attribute=slug,
            )

    def grow_to(self, size: int) -> MatchRun:
        """Mentees, mentors, requests both ways and pair rules up to `size`; then a new run."""
        program = self.p.program
        rules = MatchingRules.objects.get(program=program)
        existing = Participant.objects.filter(user__email__startswith="mentee").count()
        for k in range(existing + 1, size + 1):
            answers: dict[str, Any] = {"department": "Sales", "gender": "Woman"}
            mentee = add_person(program, f"mentee{k}@northwind.example", **answers)
            mentor = add_mentor(program, f"mentor{k}@northwind.example", capacity=2, **answers)
            MatchRequest.objects.create(
                program=program, mentee=mentee, mentor=self.p.mentor_participant, message="Hi"
            )
            MatchRequest.objects.create(
                program=program, mentee=self.p.mentee_participant, mentor=mentor, message="Hi"
            )
            PairRule.objects.create(rules=rules, mentee=mentee, mentor=mentor, kind="forbidden")
        run = services.match_run_start(
            program=program, started_by=self.p.coordinator, segment=Segment(scope="all")
        )
        services.match_run_execute(run_id=run.pk)
        run.refresh_from_db()
        self.assertEqual(run.status, RunStatus.DONE, run.error)
        self.assertGreaterEqual(run.drafts.count(), size)
        return run

    def pages(self, run: MatchRun) -> dict[str, tuple[User, str]]:
        program, p = self.p.program, self.p
        return {
            "run": (p.coordinator, reverse("matching:run", args=[program.pk, run.pk])),
            "draft": (
                p.coordinator,
                reverse("matching:draft", args=[program.pk, run.drafts.first().pk]),
            ),
            "suggestions": (
                p.coordinator,
                reverse("matching:manual_suggestions", args=[program.pk, p.mentee_participant.pk]),
            ),
            "rules": (p.coordinator, reverse("matching:rules", args=[program.pk])),
            "browse": (p.mentee, reverse("matching:browse", args=[program.pk])),
            # Searched, filtered and on a later page: still the same queries.
            "browse_searched": (
                p.mentee,
                reverse("matching:browse", args=[program.pk]) + "?q=m&a_department=Engineering",
            ),
            "browse_later_page": (
                p.mentee,
                reverse("matching:browse", args=[program.pk]) + "?last=1",
            ),
            "my_requests": (p.mentor, reverse("matching:my_requests", args=[program.pk])),
            "my_requests_sent": (p.mentee, reverse("matching:my_requests", args=[program.pk])),
        }

    def assert_counts(self, run: MatchRun, size: int) -> None:
        for name, (user, url) in self.pages(run).items():
            expected = QUERIES[
                name.removesuffix("_sent").split("_")[0]
                if name.startswith("browse")
                else name.removesuffix("_sent")
            ]
            self.client.force_login(user)
            with self.subTest(page=name, size=size), self.assertNumQueries(len(expected)):
                response = self.client.get(url)
            self.assertEqual(response.status_code, 200, name)

    def test_a_runs_snapshot_is_read_once_for_all_its_drafts(self):
        run = self.grow_to(10)
        user, url = self.pages(run)["draft"]
        self.client.force_login(user)
        with self.assertNumQueries(len(QUERIES["draft"])):
            first = self.client.get(url)
        with self.assertNumQueries(len(QUERIES["draft"]) - 1):
            again = self.client.get(url)
        # The same alternatives from the kept copy as from the database.
        self.assertTrue(first.context["alternatives"])
        self.assertEqual(first.context["alternatives"], again.context["alternatives"])
        self.assertContains(again, "Places left in this run")

    def test_query_counts_do_not_grow_with_the_program(self):
        self.assert_counts(self.grow_to(10), 10)
        self.assert_counts(self.grow_to(40), 40)

    def test_the_pages_list_what_grew(self):
        run = self.grow_to(40)
        pages = self.pages(run)
        self.client.force_login(self.p.mentor)
        received = self.client.get(pages["my_requests"][1])
        self.assertEqual(received.text.count('id="received-'), 40)
        self.client.force_login(self.p.mentee)
        browse = self.client.get(pages["browse"][1])
        self.assertEqual(browse.text.count('class="card mentor-card"'), settings.MENTORS_PER_PAGE)
        self.assertGreaterEqual(browse.context["page"].count, 40)
        self.assertTrue(browse.context["page"].has_next)


class PaginationTests(TestCase):
    def test_the_drafts_page_shows_fifty_drafts_a_page(self):
        p = make_personas()
        program = p.program
        mentees = [add_person(program, f"mentee{i}@northwind.example") for i in range(8)]
        mentors = [add_mentor(program, f"mentor{j}@northwind.example") for j in range(7)]
        run = MatchRun.objects.create(program=program, created_by=p.coordinator, status="done")
        DraftMatch.objects.bulk_create(
            DraftMatch(run=run, mentee=a, mentor=b, score=(i * 7 + j) / 56, reasons=[])
            for i, a in enumerate(mentees)
            for j, b in enumerate(mentors)
        )
        self.client.force_login(p.coordinator)
        url = reverse("matching:run", args=[program.pk, run.pk])
        first = self.client.get(url)
        self.assertEqual(DRAFTS_PER_PAGE, 50)
        self.assertEqual(first.text.count('name="draft"'), 50)
        self.assertContains(first, "Page 1 of 2")
        self.assertContains(first, "Approve all 56")
        # Row links are built from one reverse() a page: each is the draft's own URL.
        shown = first.context["page"].object_list
        links = re.findall(r'<td><a href="([^"]+)">Mentee', first.text)
        self.assertEqual(links, [reverse("matching:draft", args=[program.pk, d.pk]) for d in shown])
        scores = re.findall(r"<td>(\d\.\d\d)</td>", first.text)
        self.assertEqual(scores, sorted(scores, reverse=True))  # best first
        second = self.client.get(url, {"page": 2})
        self.assertEqual(second.text.count('name="draft"'), 6)
        self.assertContains(second, "Page 2 of 2")
        # The pages follow the status shown (their count comes from the counts by status).
        best = run.drafts.order_by("-score", "id")[:6].values_list("pk", flat=True)
        DraftMatch.objects.filter(pk__in=list(best)).update(status="approved")
        proposed = self.client.get(url)
        self.assertEqual(proposed.text.count('name="draft"'), 50)
        self.assertNotContains(proposed, "Page 1 of")  # one page: no page links
        self.assertContains(proposed, "Approve all 50")
        approved = self.client.get(url, {"status": "approved"})
        self.assertEqual(len(approved.context["page"].object_list), 6)
        self.assertNotContains(approved, "Page 1 of")
        everything = self.client.get(url, {"status": "", "page": "2"})
        self.assertEqual(len(everything.context["page"].object_list), 6)
        self.assertContains(everything, "Page 2 of 2")


class UnmatchedListTests(TestCase):
    def test_the_run_page_lists_who_was_not_matched_with_links_and_reasons(self):
        p = make_personas()
        program = p.program
        left = [add_person(program, f"left{i}@northwind.example") for i in range(3)]
        unmatched = [
            {"id": str(person.pk), "side": "mentee", "reason": f"reason {i}"}
            for i, person in enumerate(left)
        ]
        run = MatchRun.objects.create(
            program=program, created_by=p.coordinator, status="done", unmatched=unmatched
        )
        self.client.force_login(p.coordinator)
        response = self.client.get(reverse("matching:run", args=[program.pk, run.pk]))
        self.assertContains(response, "Not matched (3)")
        links = re.findall(r'<tr><td><a href="([^"]+)">', response.text)
        self.assertEqual(
            links, [reverse("programs:participant", args=[program.pk, x.pk]) for x in left]
        )
        for i in range(3):
            self.assertContains(response, f"reason {i}")


class MatchedPeopleFixture(TestCase):
    """Mia (Sales, Woman) and Sol (Sales, Woman, capacity 1) with a public and a private rule."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        program = cls.p.program
        cls.sol = add_mentor(
            program, "sol@northwind.example", capacity=1, department="Sales", gender="Woman"
        )
        services.criterion_create(
            program=program,
            actor=cls.p.coordinator,
            name="Same department",
            type="same",
            mentee_attribute="department",
            mentor_attribute="department",
            required=True,
        )
        services.criterion_create(
            program=program,
            actor=cls.p.coordinator,
            name="Same gender",
            type="same",
            mentee_attribute="gender",
            mentor_attribute="gender",
        )

    def run_smart_match(self) -> MatchRun:
        self.client.force_login(self.p.coordinator)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(
                reverse("matching:runs", args=[self.p.program.pk]), {"scope": "unmatched"}
            )
        run = MatchRun.objects.latest("pk")
        self.assertRedirects(response, reverse("matching:run", args=[self.p.program.pk, run.pk]))
        run.refresh_from_db()
        return run


class ParticipantsNeverSeeDraftsTests(MatchedPeopleFixture):
    def test_nothing_of_a_proposed_draft_reaches_the_people_in_it(self):
        run = self.run_smart_match()
        draft = run.drafts.get()
        self.assertEqual((draft.mentee, draft.mentor), (self.p.mentee_participant, self.sol))
        program = self.p.program
        for user, partner in ((self.p.mentee, "Sol"), (self.sol.user, "Mia Mentee")):
            self.client.force_login(user)
            for url in (
                reverse("home"),
                reverse("programs:my_program", args=[program.pk]),
            ):
                page = self.client.get(url)
                self.assertEqual(page.status_code, 200)
                self.assertNotContains(page, partner)
                self.assertNotContains(page, "My matches")
                self.assertNotIn("draft", page.text.lower())
            self.assertFalse(user.notifications.exists())
        self.assertEqual(mail.outbox, [])


class PrivacyOfReasonsTests(MatchedPeopleFixture):
    def test_reasons_from_private_answers_never_reach_the_relationship_page_or_emails(self):
        run = self.run_smart_match()
        self.client.force_login(self.p.coordinator)
        draft = run.drafts.get()
        draft_page = self.client.get(reverse("matching:draft", args=[self.p.program.pk, draft.pk]))
        self.assertContains(draft_page, "Same gender")  # the coordinator sees every reason
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("matching:draft_approve", args=[self.p.program.pk, draft.pk]))
        relationship = Relationship.objects.get()
        self.assertEqual(len(mail.outbox), 2)
        for message in mail.outbox:
            html = message.alternatives[0][0]
            for text in (message.subject, message.body, html):
                self.assertNotIn("gender", text.lower())
                self.assertNotIn("woman", text.lower())
        for user in (self.p.mentee, self.sol.user):
            self.client.force_login(user)
            page = self.client.get(reverse("mentorships:relationship", args=[relationship.pk]))
            self.assertEqual(page.status_code, 200)
            self.assertContains(page, "Why you were matched")
            self.assertContains(page, "Same department")
            self.assertNotContains(page, "Same gender")
            self.assertNotIn("woman", page.text.lower())


class BadInputTests(MatchedPeopleFixture):
    def assert_explained(self, run: MatchRun, status: str, explanation: str) -> None:
        self.assertEqual(run.status, status)
        self.client.force_login(self.p.coordinator)
        page = self.client.get(reverse("matching:run", args=[self.p.program.pk, run.pk]))
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, explanation)
        self.assertContains(page, "No drafts here." if status == RunStatus.DONE else "Failed")

    def test_a_run_with_no_rules_explains_itself(self):
        MatchingRules.objects.get(program=self.p.program).criteria.all().delete()
        run = self.run_smart_match()
        self.assert_explained(run, RunStatus.FAILED, "Add at least one matching rule")

    def test_a_run_with_no_mentors_explains_itself(self):
        Participant.objects.filter(pk__in=[self.sol.pk, self.p.mentor_participant.pk]).update(
            status=ParticipantStatus.WITHDRAWN
        )
        run = self.run_smart_match()
        self.assert_explained(
            run, RunStatus.FAILED, "No mentor in this program has room for another mentee."
        )

    def test_a_run_where_every_pair_is_excluded_explains_itself(self):
        self.sol.answers.filter(question__slug="department").update(value="Engineering")
        run = self.run_smart_match()
        self.assertFalse(run.drafts.exists())
        self.assert_explained(
            run, RunStatus.DONE, "No pair is allowed by the rules. The most common reason:"
        )
        self.assertContains(
            self.client.get(reverse("matching:run", args=[self.p.program.pk, run.pk])),
            "Same department",
        )

    def test_editing_rules_while_a_run_waits_does_not_change_it(self):
        program = self.p.program
        self.client.force_login(self.p.coordinator)
        with self.captureOnCommitCallbacks(execute=False) as queued:
            self.client.post(reverse("matching:runs", args=[program.pk]), {"scope": "unmatched"})
        run = MatchRun.objects.get()
        self.assertEqual(run.status, RunStatus.QUEUED)
        department = MatchingRules.objects.get(program=program).criteria.get(name="Same department")
        response = self.client.post(
            reverse("matching:criterion_edit", args=[program.pk, department.pk]),
            {
                "name": "Different department",
                "type": "different",
                "mentee_attribute": "department",
                "mentor_attribute": "department",
                "weight": "1",
                "required": "on",
            },
        )
        self.assertRedirects(response, reverse("matching:rules", args=[program.pk]))
        for callback in queued:
            callback()  # the worker picks the run up only now
        run.refresh_from_db()
        self.assertEqual(run.status, RunStatus.DONE, run.error)
        draft = run.drafts.get()  # under the edited rule, Mia and Sol could not be paired
        self.assertEqual(draft.mentor, self.sol)
        page = self.client.get(reverse("matching:draft", args=[program.pk, draft.pk]))
        self.assertContains(page, "Same department")
        self.assertNotContains(page, "Different department")

    def approve_and_follow(self, draft: DraftMatch):
        self.client.force_login(self.p.coordinator)
        return self.client.post(
            reverse("matching:draft_approve", args=[self.p.program.pk, draft.pk]), follow=True
        )

    def test_approving_a_draft_whose_mentor_left_shows_the_refusal(self):
        draft = self.run_smart_match().drafts.get()
        Participant.objects.filter(pk=self.sol.pk).update(status=ParticipantStatus.WITHDRAWN)
        page = self.approve_and_follow(draft)
        self.assertContains(page, "Sol has withdrawn and is not in the program now.")
        self.assertFalse(Relationship.objects.exists())

    def match_mia_by_hand(self) -> None:
        """Another coordinator matches Mia with Marco while her draft waits."""
        relationship_create(
            program=self.p.program,
            mentor=self.p.mentor_participant,
            mentees=[self.p.mentee_participant],
            source=MatchSource.MANUAL,
            created_by=self.p.coordinator,
        )

    def test_approving_all_approves_the_others_and_names_each_draft_refused(self):
        eve = add_person(self.p.program, "eve@northwind.example", department="Engineering")
        run = self.run_smart_match()  # Mia with Sol (Sales), Eve with Marco (Engineering)
        mia_draft = run.drafts.get(mentee=self.p.mentee_participant)
        self.match_mia_by_hand()
        self.client.force_login(self.p.coordinator)
        page = self.client.post(
            reverse("matching:run_approve", args=[self.p.program.pk, run.pk]),
            {"all": "1"},
            follow=True,
        )
        self.assertContains(page, "Approved 1 match; both sides are told.")
        self.assertContains(page, "Mia Mentee was matched meanwhile.")
        self.assertTrue(
            Relationship.objects.filter(members__participant=eve, source=MatchSource.SMART).exists()
        )
        mia_draft.refresh_from_db()
        self.assertEqual(mia_draft.status, "proposed")
        self.assertEqual(Relationship.objects.count(), 2)

    def test_approving_a_draft_whose_mentee_was_matched_meanwhile_shows_the_refusal(self):
        draft = self.run_smart_match().drafts.get()
        self.match_mia_by_hand()
        page = self.approve_and_follow(draft)
        self.assertContains(page, "Mia Mentee was matched meanwhile.")
        self.assertEqual(Relationship.objects.count(), 1)
        draft.refresh_from_db()
        self.assertEqual(draft.status, "proposed")


class SwapAlternativesTests(MatchedPeopleFixture):
    def test_mentors_with_room_come_first_then_the_full_ones_each_best_first(self):
        program = self.p.program
        nia = add_person(program, "nia@northwind.example", department="Sales", gender="Woman")
        tia = add_mentor(
            program, "tia@northwind.example", capacity=1, department="Sales", gender="Woman"
        )
        uma = add_mentor(
            program, "uma@northwind.example", capacity=1, department="Sales", gender="Man"
        )
        run = self.run_smart_match()
        # Mia and Nia take Sol and Tia (same department and gender); Uma is left with room.
        self.assertEqual(
            {d.mentor for d in run.drafts.filter(mentee__in=[self.p.mentee_participant, nia])},
            {self.sol, tia},
        )
        mias = run.drafts.get(mentee=self.p.mentee_participant)
        full = tia if mias.mentor == self.sol else self.sol
        alternatives = services.swap_alternatives(mias)
        # Marco (Engineering) breaks the required rule; Mia's own mentor is not an alternative.
        self.assertEqual(
            [(a["mentor"], a["places_left"]) for a in alternatives],
            [(str(uma.pk), 1), (str(full.pk), 0)],
        )
        self.assertGreater(alternatives[1]["score"], alternatives[0]["score"])
        self.assertEqual(
            [r["criterion"] for r in alternatives[0]["reasons"]],
            ["Same department", "Same gender"],
        )
        self.assertEqual(services.swap_alternatives(mias, limit=1), alternatives[:1])
