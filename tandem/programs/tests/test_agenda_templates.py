"""The coordinator's library of agenda templates: add, edit, reorder, delete; bad input."""

from __future__ import annotations

from django.test import TestCase
from django.urls import reverse

from tandem.core.testing import make_personas
from tandem.programs.models import AgendaMoment, AgendaTemplate


class AgendaTemplatePagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def setUp(self):
        self.client.force_login(self.p.coordinator)
        self.list_url = reverse("programs:agenda_templates", args=[self.p.program.pk])

    def add(self, title: str, prompts: str, moment: str = AgendaMoment.ANY):
        return self.client.post(
            self.list_url, {"title": title, "moment": moment, "prompts": prompts}
        )

    def test_a_template_keeps_its_prompts_in_order(self):
        response = self.add("Setting goals", "What I want\n\n  Why it matters \nHow I'll know")
        self.assertRedirects(response, self.list_url)
        template = AgendaTemplate.objects.get()
        self.assertEqual(template.prompts, ["What I want", "Why it matters", "How I'll know"])
        page = self.client.get(self.list_url)
        self.assertContains(page, "Why it matters")
        edit = reverse("programs:agenda_template_edit", args=[self.p.program.pk, template.pk])
        response = self.client.post(
            edit, {"title": "Goals", "moment": AgendaMoment.SECOND, "prompts": "One\nTwo"}
        )
        self.assertRedirects(response, self.list_url)
        template.refresh_from_db()
        self.assertEqual((template.title, template.prompts), ("Goals", ["One", "Two"]))

    def test_bad_input_names_the_field_and_saves_nothing(self):
        self.assertContains(self.add("Empty", " \n "), "Prompts: This field is required")
        self.add("Twice", "A")
        self.assertContains(self.add("Twice", "B"), "has a template with this title")
        self.assertContains(self.add("Long", "\n".join("x" for _ in range(21))), "20 prompts")
        self.assertEqual(list(AgendaTemplate.objects.values_list("title", flat=True)), ["Twice"])

    def test_move_and_delete(self):
        for title in ("First", "Second"):
            self.add(title, "A prompt")
        second = AgendaTemplate.objects.get(title="Second")
        args = [self.p.program.pk, second.pk]
        self.client.post(reverse("programs:agenda_template_move", args=args), {"to": "up"})
        self.assertEqual(
            list(self.p.program.agenda_templates.values_list("title", flat=True)),
            ["Second", "First"],
        )
        self.client.post(reverse("programs:agenda_template_delete", args=args))
        self.assertEqual(list(AgendaTemplate.objects.values_list("title", flat=True)), ["First"])

    def test_another_programs_template_is_404_even_for_a_coordinator(self):
        elsewhere = AgendaTemplate.objects.create(
            program=self.p.other_program, title="Sales", prompts=["x"]
        )
        args = [self.p.program.pk, elsewhere.pk]
        self.assertEqual(
            self.client.get(reverse("programs:agenda_template_edit", args=args)).status_code, 404
        )
        response = self.client.post(reverse("programs:agenda_template_delete", args=args))
        self.assertEqual(response.status_code, 404)
        self.assertTrue(AgendaTemplate.objects.filter(pk=elsewhere.pk).exists())

    def test_the_program_settings_hold_the_agenda_due_hours_and_mentor_prompt_days(self):
        program = self.p.program
        self.assertEqual((program.agenda_due_hours, program.mentor_prompt_after_days), (24, 14))
        page = self.client.get(reverse("programs:edit", args=[program.pk]))
        self.assertContains(page, "Agenda due (hours before a session)")
        self.assertContains(page, "Prompt the mentor after (days)")
