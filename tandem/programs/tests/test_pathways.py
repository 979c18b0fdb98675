"""Referral pathways: a contact that is a link is a web, mail or phone link, never a script."""

from __future__ import annotations

from django.test import TestCase
from django.urls import reverse

from tandem.core.testing import make_personas
from tandem.programs.models import ReferralPathway


class PathwayContactTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_a_javascript_contact_is_refused_with_a_message_and_nothing_is_saved(self):
        self.client.force_login(self.p.coordinator)
        url = reverse("programs:pathways", args=[self.p.program.pk])
        for contact in ("javascript:alert(1)", "data:text/html,<b>x</b>", " java\tscript:alert(1)"):
            response = self.client.post(url, {"name": "Help", "contact": contact})
            self.assertEqual(response.status_code, 200, contact)
            self.assertContains(response, "Contact: A link must start with http://")
        self.assertEqual(self.p.program.pathways.count(), 1)
        edit = reverse("programs:pathway_edit", args=[self.p.program.pk, self.p.pathway.pk])
        response = self.client.post(edit, {"name": "EAP", "contact": "javascript:alert(1)"})
        self.assertContains(response, "A link must start with")
        self.p.pathway.refresh_from_db()
        self.assertEqual(self.p.pathway.contact, "0800 555 0100")

    def test_a_web_contact_becomes_a_link_and_a_stored_script_link_does_not(self):
        self.client.force_login(self.p.mentee)
        support = reverse("programs:support", args=[self.p.program.pk])
        ReferralPathway.objects.filter(pk=self.p.pathway.pk).update(contact="https://eap.example")
        response = self.client.get(support)
        self.assertContains(response, '<a href="https://eap.example">https://eap.example</a>')
        # Written before the rule (or by the Django admin): shown as text, never as a link.
        ReferralPathway.objects.filter(pk=self.p.pathway.pk).update(contact="javascript:alert(1)")
        response = self.client.get(support)
        self.assertContains(response, "javascript:alert(1)")
        self.assertNotContains(response, 'href="javascript:')
