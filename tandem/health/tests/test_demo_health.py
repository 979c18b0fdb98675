"""The demo's program health (`make run`): the coordinator finds something to act on."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.test import TestCase, override_settings
from django.urls import reverse

from tandem.health.selectors import health_for
from tandem.programs.demo import DEMO_PROGRAM
from tandem.programs.models import Program
from tandem.support.models import CheckIn, SupportRequest


@override_settings(DEMO_MODE=True)
class HealthDemoTests(TestCase):
    def setUp(self):
        call_command("load_demo", stdout=io.StringIO())
        self.program = Program.objects.get(name=DEMO_PROGRAM)

    def test_a_quiet_pair_with_a_low_check_in_and_a_waiting_support_request(self):
        health = health_for(self.program)
        quiet = [r.pk for r in health.quiet]
        self.assertEqual(len(quiet), 1)
        self.assertEqual([r.pk for r in health.low], quiet)
        self.assertIn(quiet[0], [r.pk for r in health.stuck])
        self.assertEqual(health.support_waiting, 1)
        self.assertEqual(SupportRequest.objects.get().relationship_id, quiet[0])

    def test_the_coordinator_sees_it_on_the_health_page(self):
        coordinator = self.program.coordinators.get()
        self.client.force_login(coordinator)
        response = self.client.get(reverse("health:health", args=[self.program.pk]))
        self.assertContains(response, "Quiet relationships")
        self.assertContains(response, "Nudge")

    def test_loading_twice_adds_nothing_twice(self):
        counts = (CheckIn.objects.count(), SupportRequest.objects.count())
        call_command("load_demo", stdout=io.StringIO())
        self.assertEqual((CheckIn.objects.count(), SupportRequest.objects.count()), counts)
