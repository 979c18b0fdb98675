"""Migration 0007: reasons stored with a frozen `private` flag learn which questions they read."""

import importlib

from django.apps import apps
from django.test import TestCase

from tandem.core.testing import make_personas
from tandem.matching import services
from tandem.matching.models import DraftMatch, MatchRun, RunStatus
from tandem.mentorships.models import MatchSource, Relationship

migration = importlib.import_module("tandem.matching.migrations.0007_reasons_record_what_they_read")

OLD_REASONS = [
    {"criterion": "Same department", "value": 1.0, "detail": "both: sales", "private": False},
    {"criterion": "Gone rule", "value": 1.0, "detail": "x", "private": False},
]


class ReasonsMigrationTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def relationship(self) -> Relationship:
        return Relationship.objects.create(
            program=self.p.program,
            format=self.p.program.format,
            source=MatchSource.SMART,
            started_on="2026-01-05",
            intended_end_on="2026-07-05",
            reasons=OLD_REASONS,
        )

    def test_a_smart_match_takes_what_its_run_read(self):
        relationship = self.relationship()
        rules_used = {"criteria": [{"name": "Same department", "mentee": "dept", "mentor": "d"}]}
        run = MatchRun.objects.create(
            program=self.p.program, status=RunStatus.DONE, rules_used=rules_used
        )
        DraftMatch.objects.create(
            run=run,
            mentee=self.p.mentee_participant,
            mentor=self.p.mentor_participant,
            score=1.0,
            relationship=relationship,
        )
        migration.add_reads(apps, None)
        relationship.refresh_from_db()
        self.assertEqual(
            relationship.reasons,
            [
                {
                    "criterion": "Same department",
                    "value": 1.0,
                    "detail": "both: sales",
                    "reads": ["d", "dept"],
                },
                {"criterion": "Gone rule", "value": 1.0, "detail": "x"},  # unknown: never shown
            ],
        )

    def test_a_match_without_a_run_takes_the_programs_rules_now(self):
        relationship = self.relationship()
        services.criterion_create(
            program=self.p.program,
            actor=self.p.coordinator,
            name="Same department",
            type="same",
            mentee_attribute="department",
            mentor_attribute="department",
        )
        migration.add_reads(apps, None)
        relationship.refresh_from_db()
        self.assertEqual(relationship.reasons[0]["reads"], ["department"])
        self.assertNotIn("private", relationship.reasons[0])
        self.assertNotIn("reads", relationship.reasons[1])
