"""The matching rules page: building criteria from questions, suggestions, the live preview."""

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from tandem.core.testing import make_personas, make_user
from tandem.matching import services
from tandem.matching.models import Criterion
from tandem.programs.models import (
    Answer,
    Audience,
    Format,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Question,
    QuestionKind,
)


class SuggestedRulesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        program = cls.p.program
        Question.objects.create(
            program=program,
            slug="offers",
            label="Can help with",
            position=4,
            kind=QuestionKind.MULTIPLE_CHOICE,
            audience=Audience.MENTORS,
            choices=["Leadership", "Public speaking"],
        )
        Question.objects.create(
            program=program,
            slug="years_experience",
            label="Years of experience",
            kind=QuestionKind.NUMBER,
            position=5,
        )
        Question.objects.create(
            program=program, slug="tz", label="Time zone", kind=QuestionKind.TIMEZONE, position=6
        )

    def suggested(self):
        return {c["name"]: c for c in services.suggested_criteria(self.p.program)}

    def test_wants_meet_offers_time_zones_are_near_and_mentors_are_more_senior(self):
        rules = self.suggested()
        overlap = rules["Goals / Can help with"]
        self.assertEqual(
            (overlap["type"], overlap["mentee_attribute"], overlap["mentor_attribute"]),
            ("overlap", "goals", "offers"),
        )
        self.assertEqual(rules["Time zones close"]["type"], "near")
        seniority = rules["Seniority gap"]
        self.assertEqual((seniority["min_value"], seniority["max_value"]), (1.0, 40.0))

    def test_a_reverse_program_inverts_the_seniority_range(self):
        program = self.p.program
        program.format = Format.REVERSE
        program.save(update_fields=["format"])
        seniority = self.suggested()["Seniority gap"]
        # mentor minus mentee is negative: the less senior person mentors.
        self.assertEqual((seniority["min_value"], seniority["max_value"]), (-40.0, -1.0))

    def test_the_page_adds_the_suggestions_once(self):
        self.client.force_login(self.p.coordinator)
        url = reverse("matching:rules", args=[self.p.program.pk])
        self.client.post(url, {"suggest": "1"})
        first = set(Criterion.objects.values_list("name", flat=True))
        self.assertIn("Seniority gap", first)
        self.client.post(url, {"suggest": "1"})
        self.assertEqual(Criterion.objects.count(), len(first))


class CriterionFormTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        Question.objects.create(
            program=cls.p.program, slug="years", label="Years", kind=QuestionKind.NUMBER
        )

    def post(self, **fields):
        self.client.force_login(self.p.coordinator)
        data = {"add_criterion": "1", "weight": "1", **fields}
        return self.client.post(reverse("matching:rules", args=[self.p.program.pk]), data)

    def test_a_range_rule_needs_both_bounds(self):
        response = self.post(
            name="Gap",
            type="range",
            mentee_attribute="years",
            mentor_attribute="years",
            min_value="1",
        )
        self.assertContains(response, "A range rule needs a minimum and a maximum.")
        self.assertFalse(Criterion.objects.exists())

    def test_near_and_range_rules_compare_numbers_only(self):
        response = self.post(
            name="Dept",
            type="near",
            mentee_attribute="department",
            mentor_attribute="department",
            within="2",
        )
        self.assertContains(response, "Range and near rules compare numbers")
        self.assertFalse(Criterion.objects.exists())

    def test_a_text_rule_cannot_be_required(self):
        response = self.post(
            name="About",
            type="text",
            mentee_attribute="department",
            mentor_attribute="department",
            required="on",
        )
        self.assertContains(response, "A text rule cannot be required.")
        self.assertFalse(Criterion.objects.exists())

    def test_two_rules_cannot_share_a_name(self):
        fields = {
            "name": "Dept",
            "type": "same",
            "mentee_attribute": "department",
            "mentor_attribute": "department",
        }
        self.post(**fields)
        response = self.post(**fields)
        self.assertContains(response, "Another rule is called “Dept”.")
        self.assertEqual(Criterion.objects.count(), 1)


class PreviewTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        program = cls.p.program
        department = program.questions.get(slug="department")
        now = timezone.now()
        # Two more mentees: one in Sales like Mia, one in Legal whom no mentor shares.
        for email, answer in [("sal@northwind.example", "Sales"), ("leo@northwind.example", None)]:
            person = Participant.objects.create(
                program=program,
                user=make_user(email, email.split("@")[0].title()),
                role=ParticipantRole.MENTEE,
                status=ParticipantStatus.JOINED,
                joined_at=now,
            )
            if answer:
                Answer.objects.create(participant=person, question=department, value=answer)
        sales_mentor = Participant.objects.create(
            program=program,
            user=make_user("sol@northwind.example", "Sol"),
            role=ParticipantRole.MENTOR,
            status=ParticipantStatus.JOINED,
            capacity=2,
        )
        Answer.objects.create(participant=sales_mentor, question=department, value="Sales")

    def test_without_rules_the_preview_asks_for_one(self):
        self.client.force_login(self.p.coordinator)
        response = self.client.get(reverse("matching:rules_preview", args=[self.p.program.pk]))
        self.assertContains(response, "Add a rule to see how many pairs it allows.")

    def test_the_preview_counts_allowed_pairs_and_names_who_has_none(self):
        services.criterion_create(
            program=self.p.program,
            actor=self.p.coordinator,
            name="Same department",
            type="same",
            mentee_attribute="department",
            mentor_attribute="department",
            required=True,
        )
        self.client.force_login(self.p.coordinator)
        response = self.client.get(reverse("matching:rules_preview", args=[self.p.program.pk]))
        # Mentees: Mia (Sales), Sal (Sales), Leo (no answer). Mentors: Marco (Engineering),
        # Sol (Sales). Allowed: Mia–Sol, Sal–Sol. Leo and Marco have no allowed partner.
        self.assertContains(response, "2 allowed pairs")
        self.assertContains(response, "2 people have no allowed partner.")
        self.assertContains(response, "Same department: 2")
        self.assertContains(response, "Leo")
        self.assertContains(response, "Marco Mentor")
