"""Manual matching: overrides with reasons, what the relationship records, and the two pages.

Mia (mentee: goals Leadership, Sales, gender Woman — private) is matched by hand. Expected
scores are worked out here from the rules' definitions (MATCHING.md), never from the engine.
"""

from __future__ import annotations

import re
from fractions import Fraction

from django.test import TestCase
from django.urls import reverse

from tandem.core.testing import make_personas
from tandem.matching import services
from tandem.matching.models import Criterion
from tandem.matching.selectors import DRAFTS_PER_PAGE
from tandem.matching.tests.people import add_mentor, add_person
from tandem.mentorships.models import MatchSource, MemberRole, Relationship
from tandem.mentorships.services import MatchRefused, Override, relationship_create
from tandem.programs.models import Answer, Audience, Question, QuestionKind


def expected_score(criteria: list[Criterion], mentee: dict, mentor: dict) -> Fraction:
    """Σ weight·s / Σ weight for `overlap` and `same` rules, from MATCHING.md's table."""

    def items(value: object) -> set[str] | None:
        if value is None:
            return None
        return {v.strip().casefold() for v in (value if isinstance(value, list) else [value])}

    total = Fraction(0)
    for c in criteria:
        a, b = items(mentee.get(c.mentee_attribute)), items(mentor.get(c.mentor_attribute))
        if a is None or b is None:
            s = Fraction(0)
        elif c.type == "overlap":
            s = Fraction(len(a & b), len(a)) if a else Fraction(0)
        else:
            assert c.type == "same"
            s = Fraction(int(bool(a & b)))
        total += Fraction(c.weight) * s
    weights = sum(Fraction(c.weight) for c in criteria)
    return total / weights if weights else Fraction(0)


def answers_of(participant) -> dict:
    return dict(
        Answer.objects.filter(participant=participant).values_list("question__slug", "value")
    )


class ManualMatchTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        program = cls.p.program
        Question.objects.create(
            program=program,
            slug="offers",
            label="Can help with",
            kind=QuestionKind.MULTIPLE_CHOICE,
            audience=Audience.MENTORS,
            choices=["Leadership", "Public speaking"],
            position=4,
        )
        cls.sol = add_mentor(
            program,
            "sol@northwind.example",
            department="Sales",
            offers=["Leadership"],
            gender="Woman",
        )
        cls.tom = add_mentor(
            program,
            "tom@northwind.example",
            department="Sales",
            offers=["Public speaking"],
            gender="Man",
        )
        cls.uma = add_mentor(
            program,
            "uma@northwind.example",
            department="Engineering",
            offers=["Leadership", "Public speaking"],
            gender="Woman",
        )
        rule = {"program": program, "actor": cls.p.coordinator}
        cls.goals = services.criterion_create(
            **rule,
            name="Shared goals",
            type="overlap",
            mentee_attribute="goals",
            mentor_attribute="offers",
            weight=3,
        )
        cls.department = services.criterion_create(
            **rule,
            name="Same department",
            type="same",
            mentee_attribute="department",
            mentor_attribute="department",
            weight=2,
        )
        cls.gender = services.criterion_create(
            **rule,
            name="Gender",
            type="same",
            mentee_attribute="gender",
            mentor_attribute="gender",
            weight=1,
        )

    def match(self, mentor, override=None):
        return services.manual_match_create(
            program=self.p.program,
            mentee=self.p.mentee_participant,
            mentor=mentor,
            actor=self.p.coordinator,
            override=override,
        )

    def require_same_department(self):
        Criterion.objects.filter(pk=self.department.pk).update(required=True)

    # --- the service --------------------------------------------------------------------------

    def test_a_pair_breaking_a_required_rule_is_refused_without_an_override(self):
        self.require_same_department()
        with self.assertRaisesMessage(
            MatchRefused, "This pair breaks the rule Same department. Override it, with a reason"
        ):
            self.match(self.p.mentor_participant)
        self.assertFalse(Relationship.objects.exists())

    def test_a_required_rule_override_needs_a_reason(self):
        self.require_same_department()
        with self.assertRaisesMessage(MatchRefused, "Say why you are overriding the rules."):
            self.match(self.p.mentor_participant, Override(required_rules=True, reason="  "))
        self.assertFalse(Relationship.objects.exists())

    def test_a_required_rule_override_with_a_reason_creates_the_match_and_records_why(self):
        self.require_same_department()
        relationship = self.match(
            self.p.mentor_participant,
            Override(required_rules=True, reason="Mia asked for Marco by name"),
        )
        self.assertEqual(relationship.override_reason, "Mia asked for Marco by name")
        self.assertEqual(relationship.created_by, self.p.coordinator)

    def test_a_capacity_override_is_needed_for_a_full_mentor(self):
        relationship_create(
            program=self.p.program,
            mentor=self.sol,
            mentees=[add_person(self.p.program, "ana@northwind.example")],
            source=MatchSource.MANUAL,
            created_by=self.p.coordinator,
        )
        with self.assertRaisesMessage(MatchRefused, "Sol has no room: 1 of 1 places taken."):
            self.match(self.sol)
        relationship = self.match(self.sol, Override(capacity=True, reason="Sol agreed to two"))
        self.assertEqual(relationship.override_reason, "Sol agreed to two")
        self.assertEqual(
            relationship.members.get(role=MemberRole.MENTOR).participant_id, self.sol.pk
        )

    def test_a_rules_override_does_not_lift_capacity(self):
        self.sol.capacity = 0
        self.sol.save(update_fields=["capacity"])
        with self.assertRaisesMessage(MatchRefused, "Sol has no room"):
            self.match(self.sol, Override(required_rules=True, reason="Because"))
        self.assertFalse(Relationship.objects.exists())

    def test_the_relationship_records_source_score_and_the_questions_each_reason_read(self):
        relationship = self.match(self.uma)
        criteria = [self.goals, self.department, self.gender]
        want = expected_score(criteria, answers_of(self.p.mentee_participant), answers_of(self.uma))
        self.assertEqual(want, Fraction(2, 3))  # goals 3·1 + department 2·0 + gender 1·1, over 6
        self.assertEqual(relationship.source, MatchSource.MANUAL)
        self.assertAlmostEqual(relationship.score, float(want), places=6)
        reads = {r["criterion"]: r["reads"] for r in relationship.reasons}
        self.assertEqual(
            reads,
            {
                "Shared goals": ["goals", "offers"],
                "Same department": ["department"],
                "Gender": ["gender"],
            },
        )
        values = {r["criterion"]: r["value"] for r in relationship.reasons}
        self.assertEqual(values, {"Shared goals": 1.0, "Same department": 0.0, "Gender": 1.0})

    # --- the pages ----------------------------------------------------------------------------

    def test_the_compare_page_shows_both_profiles_and_marks_private_answers(self):
        self.client.force_login(self.p.coordinator)
        url = reverse(
            "matching:manual_compare",
            args=[self.p.program.pk, self.p.mentee_participant.pk, self.sol.pk],
        )
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        rows = {
            re.sub(r"<[^>]+>", "", m.group(1)).split()[0]: m.group(0)
            for m in re.finditer(r'<tr[^>]*><th scope="row">(.*?)</th>.*?</tr>', response.text)
        }
        self.assertIn("Woman</td><td>Woman</td>", rows["Gender"])
        self.assertIn("badge private", rows["Gender"])
        self.assertIn("Sales</td><td>Sales</td>", rows["Department"])
        self.assertNotIn("badge private", rows["Department"])
        self.assertIn("Leadership</td><td>—</td>", rows["Goals"])
        self.assertIn("—</td><td>Leadership</td>", rows["Can"])
        self.assertContains(response, "Mia Mentee (mentee)")
        self.assertContains(response, "Sol (mentor)")

    def test_the_compare_page_refuses_a_rule_breaking_match_without_an_override(self):
        self.require_same_department()
        self.client.force_login(self.p.coordinator)
        url = reverse(
            "matching:manual_compare",
            args=[self.p.program.pk, self.p.mentee_participant.pk, self.p.mentor_participant.pk],
        )
        response = self.client.post(url, {"reason": ""})  # what a browser sends
        self.assertContains(response, "This pair breaks the rule Same department.")
        self.assertFalse(Relationship.objects.exists())
        response = self.client.post(url, {"override_rules": "on", "reason": ""})
        self.assertContains(response, "Say why you are overriding the rules.")
        response = self.client.post(url, {"override_rules": "on", "reason": "Known to work well"})
        self.assertRedirects(response, reverse("matching:manual", args=[self.p.program.pk]))
        self.assertEqual(Relationship.objects.get().override_reason, "Known to work well")

    def test_the_suggestions_page_ranks_mentors_by_score(self):
        mia = answers_of(self.p.mentee_participant)
        criteria = [self.goals, self.department, self.gender]
        mentors = [self.p.mentor_participant, self.sol, self.tom, self.uma]
        scores = {
            m.user.display_name: expected_score(criteria, mia, answers_of(m)) for m in mentors
        }
        ranked = sorted(scores, key=lambda name: -scores[name])
        self.assertEqual(ranked, ["Sol", "Uma", "Tom", "Marco Mentor"])  # distinct scores
        self.client.force_login(self.p.coordinator)
        response = self.client.get(
            reverse(
                "matching:manual_suggestions",
                args=[self.p.program.pk, self.p.mentee_participant.pk],
            )
        )
        self.assertEqual(response.status_code, 200)
        shown = re.findall(
            r"<tr>\s*<td><a [^>]*>([^<]+)</a></td>\s*<td>([\d.]+)</td>", response.text
        )
        self.assertEqual([name for name, _ in shown], ranked)
        self.assertEqual([score for _, score in shown], [f"{float(scores[n]):.2f}" for n in ranked])

    def test_the_suggestions_page_leaves_out_excluded_mentors_unless_asked(self):
        self.require_same_department()
        self.client.force_login(self.p.coordinator)
        url = reverse(
            "matching:manual_suggestions", args=[self.p.program.pk, self.p.mentee_participant.pk]
        )
        names = re.compile(r"<tr>\s*<td><a [^>]*>([^<]+)</a></td>")
        self.assertEqual(names.findall(self.client.get(url).text), ["Sol", "Tom"])
        everyone = self.client.get(url, {"all": "1"})
        self.assertEqual(names.findall(everyone.text), ["Sol", "Tom", "Uma", "Marco Mentor"])
        self.assertContains(everyone, "Excluded by Same department", count=2)


class ManualStartPagesTests(TestCase):
    def test_unmatched_mentees_page_by_name_keeping_the_search(self):
        p = make_personas()
        program = p.program
        for i in range(DRAFTS_PER_PAGE + 3):
            add_person(program, f"pick{i:03d}@northwind.example", name=f"Pick {i:03d}")
        self.client.force_login(p.coordinator)
        url = reverse("matching:manual", args=[program.pk])
        first = self.client.get(url, {"q": "pick"})
        names = re.findall(r">(Pick \d{3})</a>", first.text)
        self.assertEqual(names, [f"Pick {i:03d}" for i in range(DRAFTS_PER_PAGE)])
        self.assertContains(first, f"{DRAFTS_PER_PAGE + 3} mentees without a match")
        last_shown = program.participants.get(user__full_name=f"Pick {DRAFTS_PER_PAGE - 1:03d}")
        self.assertContains(first, f'href="?q=pick&amp;after={last_shown.pk}" rel="next"')
        second = self.client.get(url, {"q": "pick", "after": str(last_shown.pk)})
        self.assertEqual(
            re.findall(r">(Pick \d{3})</a>", second.text),
            [f"Pick {i:03d}" for i in range(DRAFTS_PER_PAGE, DRAFTS_PER_PAGE + 3)],
        )
        self.assertNotContains(second, 'rel="next"')
        self.assertContains(second, 'rel="prev"')
