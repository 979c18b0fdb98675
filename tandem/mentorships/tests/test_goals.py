"""Goals: their services with bad input, the workspace section, the goal prompts, who may
write (the owner only), and the workspace's query count flat as goals and tasks double."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.core.testing import make_personas
from tandem.mentorships.goals import services
from tandem.mentorships.models import (
    Goal,
    GoalSharing,
    GoalTask,
    RelationshipMember,
    RelationshipStatus,
)
from tandem.mentorships.models.goals import MAX_TASKS, goal_progress
from tandem.mentorships.sessions.access import NotAMember
from tandem.mentorships.tests.pairs import another_pair, mia_and_marco

TODAY = datetime.date(2027, 3, 1)


class GoalTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.relationship = mia_and_marco(cls.p)

    def create(self, user=None, **fields):
        defaults = {"title": "Lead a small project", "today": TODAY}
        return services.goal_create(
            relationship_id=self.relationship.pk,
            user=user or self.p.mentee,
            **{**defaults, **fields},
        )

    def workspace(self, user):
        self.client.force_login(user)
        return self.client.get(reverse("mentorships:relationship", args=[self.relationship.pk]))


class GoalServiceTests(GoalTestCase):
    def test_a_goal_is_private_by_default_with_its_tasks_in_order(self):
        saved = self.create(
            why="To see if leading suits me",
            success_criteria="It ships",
            target_date=TODAY + datetime.timedelta(days=90),
            tasks=["Ask for a project", "  ", "Plan   it"],
        )
        goal = Goal.objects.get()
        self.assertEqual(goal.sharing, GoalSharing.PRIVATE)
        self.assertEqual(goal.owner.participant, self.p.mentee_participant)
        self.assertEqual(
            list(goal.tasks.values_list("text", flat=True)), ["Ask for a project", "Plan it"]
        )
        self.assertEqual(saved.warnings, [])

    def test_a_mentor_keeps_a_learning_goal_of_their_own(self):
        self.create(user=self.p.mentor, title="Learn how graduates use new tools")
        goal = Goal.objects.get()
        self.assertEqual(goal.owner.participant, self.p.mentor_participant)

    def test_bad_input_is_refused_naming_the_field_and_changes_nothing(self):
        cases: list[tuple[dict[str, Any], str]] = [
            ({"title": "   "}, "title"),
            ({"title": "x" * 201}, "title"),
            ({"target_date": TODAY - datetime.timedelta(days=1)}, "target_date"),
            ({"sharing": "everyone"}, "sharing"),
            ({"tasks": [f"task {n}" for n in range(MAX_TASKS + 1)]}, "tasks"),
            ({"tasks": ["x" * 301]}, "tasks"),
            ({"why": "x" * 5001}, "why"),
        ]
        for fields, name in cases:
            with self.subTest(name=name), self.assertRaises(ValidationError) as caught:
                self.create(**fields)
            self.assertIn(name, caught.exception.message_dict)
        self.assertFalse(Goal.objects.exists())
        self.assertFalse(GoalTask.objects.exists())

    def test_more_than_six_tasks_warn_and_are_kept_up_to_the_limit(self):
        saved = self.create(tasks=[f"task {n}" for n in range(7)])
        self.assertIn("7 tasks", saved.warnings[0])
        goal = saved.goal
        for n in range(7, MAX_TASKS):
            services.goal_task_add(goal_id=goal.pk, user=self.p.mentee, text=f"task {n}")
        with self.assertRaises(ValidationError) as caught:
            services.goal_task_add(goal_id=goal.pk, user=self.p.mentee, text="one too many")
        self.assertIn("text", caught.exception.message_dict)
        self.assertEqual(goal.tasks.count(), MAX_TASKS)

    def test_a_double_submitted_goal_or_task_makes_one_row(self):
        first = self.create(idempotency_key="k1", tasks=["a"])
        again = self.create(idempotency_key="k1", tasks=["a"])
        self.assertEqual(first.goal.pk, again.goal.pk)
        self.assertFalse(again.created)
        self.assertEqual(Goal.objects.count(), 1)
        for _ in range(2):
            services.goal_task_add(
                goal_id=first.goal.pk, user=self.p.mentee, text="b", idempotency_key="t1"
            )
        self.assertEqual(GoalTask.objects.count(), 2)

    def test_progress_follows_the_tasks_until_the_owner_sets_it(self):
        goal = self.create(tasks=["a", "b", "c", "d"]).goal
        tasks = list(goal.tasks.all())
        services.goal_task_mark(task_id=tasks[0].pk, user=self.p.mentee, done=True)
        self.assertEqual(goal_progress(None, 1, 4), 25)
        services.goal_progress_set(goal_id=goal.pk, user=self.p.mentee, percent=80)
        goal.refresh_from_db()
        self.assertEqual(goal.progress_set, 80)
        services.goal_progress_set(goal_id=goal.pk, user=self.p.mentee, percent=None)
        goal.refresh_from_db()
        self.assertIsNone(goal.progress_set)
        for bad in (-1, 101):
            with self.assertRaises(ValidationError) as caught:
                services.goal_progress_set(goal_id=goal.pk, user=self.p.mentee, percent=bad)
            self.assertIn("progress", caught.exception.message_dict)
        with self.assertRaises(ValidationError):
            services.parse_progress("half")
        self.assertEqual(services.parse_progress(" 40 % "), 40)
        goal.refresh_from_db()
        self.assertIsNone(goal.progress_set)

    def test_ticking_twice_keeps_the_first_time_and_unticking_clears_it(self):
        goal = self.create(tasks=["a"]).goal
        task = goal.tasks.get()
        first = timezone.now() - datetime.timedelta(hours=1)
        services.goal_task_mark(task_id=task.pk, user=self.p.mentee, done=True, now=first)
        services.goal_task_mark(task_id=task.pk, user=self.p.mentee, done=True)
        task.refresh_from_db()
        self.assertEqual(task.done_at, first)
        services.goal_task_mark(task_id=task.pk, user=self.p.mentee, done=False)
        task.refresh_from_db()
        self.assertIsNone(task.done_at)

    def test_a_passed_target_date_may_stay_but_not_be_chosen_anew(self):
        goal = self.create(target_date=TODAY).goal
        later = TODAY + datetime.timedelta(days=30)
        services.goal_update(
            goal_id=goal.pk, user=self.p.mentee, title="Renamed", target_date=TODAY, today=later
        )
        goal.refresh_from_db()
        self.assertEqual(goal.title, "Renamed")
        with self.assertRaises(ValidationError) as caught:
            services.goal_update(
                goal_id=goal.pk,
                user=self.p.mentee,
                title="Renamed",
                target_date=TODAY + datetime.timedelta(days=1),
                today=later,
            )
        self.assertIn("target_date", caught.exception.message_dict)

    def test_nobody_but_the_owner_writes_a_goal(self):
        goal = self.create(tasks=["a"], sharing=GoalSharing.PARTNERS).goal
        task = goal.tasks.get()
        _, nia, _ = another_pair(self.p)
        for user in (self.p.mentor, self.p.coordinator, nia, self.p.outsider):
            calls = [
                lambda u=user: services.goal_update(goal_id=goal.pk, user=u, title="Taken"),
                lambda u=user: services.goal_share(goal_id=goal.pk, user=u, sharing="private"),
                lambda u=user: services.goal_progress_set(goal_id=goal.pk, user=u, percent=1),
                lambda u=user: services.goal_task_add(goal_id=goal.pk, user=u, text="x"),
                lambda u=user: services.goal_task_mark(task_id=task.pk, user=u, done=True),
                lambda u=user: services.goal_task_delete(task_id=task.pk, user=u),
            ]
            for call in calls:
                with self.subTest(user=user.email), self.assertRaises(NotAMember):
                    call()
        goal.refresh_from_db()
        self.assertEqual(
            (goal.title, goal.sharing, goal.progress_set),
            ("Lead a small project", GoalSharing.PARTNERS, None),
        )
        self.assertEqual(list(goal.tasks.values_list("text", "done_at")), [("a", None)])

    def test_a_member_who_left_the_program_can_no_longer_write(self):
        goal = self.create().goal
        self.p.mentee_participant.status = "withdrawn"
        self.p.mentee_participant.save(update_fields=["status"])
        with self.assertRaises(NotAMember):
            services.goal_share(goal_id=goal.pk, user=self.p.mentee, sharing="partners")

    def test_a_concluded_relationship_refuses_every_goal_write(self):
        goal = self.create(tasks=["a"]).goal
        self.relationship.status = RelationshipStatus.CONCLUDED
        self.relationship.save(update_fields=["status"])
        task = goal.tasks.get()
        calls = [
            lambda: self.create(title="Another"),
            lambda: services.goal_update(goal_id=goal.pk, user=self.p.mentee, title="New"),
            lambda: services.goal_share(goal_id=goal.pk, user=self.p.mentee, sharing="partners"),
            lambda: services.goal_progress_set(goal_id=goal.pk, user=self.p.mentee, percent=5),
            lambda: services.goal_task_add(goal_id=goal.pk, user=self.p.mentee, text="x"),
            lambda: services.goal_task_mark(task_id=task.pk, user=self.p.mentee, done=True),
        ]
        for call in calls:
            with self.assertRaises(ValidationError) as caught:
                call()
            self.assertIn("concluded", caught.exception.messages[0])
        self.assertEqual(Goal.objects.count(), 1)
        self.assertEqual(GoalTask.objects.get().done_at, None)


class GoalPageTests(GoalTestCase):
    def test_the_mentee_is_prompted_to_set_a_goal_then_to_add_a_task(self):
        self.assertContains(self.workspace(self.p.mentee), "Set your first goal")
        self.assertNotContains(self.workspace(self.p.mentor), "Set your first goal")
        goal = self.create().goal
        response = self.workspace(self.p.mentee)
        self.assertNotContains(response, "Set your first goal")
        self.assertContains(response, f'href="/relationships/{self.relationship.pk}/#task-text-')
        self.assertContains(response, "Add a task to your goal")
        services.goal_task_add(goal_id=goal.pk, user=self.p.mentee, text="Ask for a project")
        self.assertNotContains(self.workspace(self.p.mentee), "Add a task to your goal")

    def test_a_paused_relationship_prompts_nothing_about_goals(self):
        self.relationship.status = RelationshipStatus.PAUSED
        self.relationship.save(update_fields=["status"])
        self.assertNotContains(self.workspace(self.p.mentee), "Set your first goal")

    def test_the_mentee_sets_a_goal_through_the_form_once_with_the_programs_prompts(self):
        self.p.program.goal_prompts = "Make it specific.\n\nWhy now?"
        self.p.program.save(update_fields=["goal_prompts"])
        self.client.force_login(self.p.mentee)
        url = reverse("mentorships:goal_create", args=[self.relationship.pk])
        page = self.client.get(url)
        self.assertContains(page, "<li>Make it specific.</li>", html=True)
        self.assertContains(page, "<li>Why now?</li>", html=True)
        data = {
            "title": "Speak at the all-hands",
            "why": "Confidence",
            "success_criteria": "I give a five-minute talk",
            "target_date": (timezone.localdate() + datetime.timedelta(days=60)).isoformat(),
            "sharing": "partners",
            "tasks": "Pick a topic\nDraft the talk\n",
            "idempotency_key": "form-1",
        }
        workspace = reverse("mentorships:relationship", args=[self.relationship.pk])
        for _ in range(2):  # a double submit
            response = self.client.post(url, data)
            goal = Goal.objects.get()
            self.assertRedirects(
                response, f"{workspace}#goal-{goal.pk}", fetch_redirect_response=False
            )
        self.assertEqual(goal.tasks.count(), 2)
        self.assertEqual(goal.sharing, GoalSharing.PARTNERS)

    def test_bad_form_input_is_shown_on_its_field_and_saves_nothing(self):
        self.client.force_login(self.p.mentee)
        url = reverse("mentorships:goal_create", args=[self.relationship.pk])
        past = (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
        response = self.client.post(url, {"title": "", "target_date": past, "sharing": "private"})
        self.assertContains(response, "Nothing was saved: 1 problem")
        response = self.client.post(
            url, {"title": "A goal", "target_date": past, "sharing": "private"}
        )
        self.assertContains(response, "The target date has passed")
        self.assertFalse(Goal.objects.exists())

    def test_the_owner_ticks_adds_and_removes_tasks_and_shares_through_the_page(self):
        goal = self.create(tasks=["a", "b"]).goal
        first, second = goal.tasks.all()
        self.client.force_login(self.p.mentee)
        self.client.post(reverse("mentorships:goal_task_mark", args=[first.pk]), {"done": "1"})
        self.client.post(reverse("mentorships:goal_task_delete", args=[second.pk]))
        self.client.post(
            reverse("mentorships:goal_task_add", args=[goal.pk]),
            {"text": "c", "idempotency_key": "x"},
        )
        response = self.client.post(
            reverse("mentorships:goal_share", args=[goal.pk]),
            {"sharing": "coordinator"},
            follow=True,
        )
        self.assertContains(response, 'aria-pressed="true"')
        self.assertContains(response, "50%")
        goal.refresh_from_db()
        self.assertEqual(goal.sharing, GoalSharing.COORDINATOR)
        self.assertEqual(list(goal.tasks.values_list("text", flat=True)), ["a", "c"])
        response = self.client.post(
            reverse("mentorships:goal_progress", args=[goal.pk]), {"progress": "150"}, follow=True
        )
        self.assertContains(response, "Progress is a percent from 0 to 100.")
        goal.refresh_from_db()
        self.assertIsNone(goal.progress_set)

    def test_the_partner_cannot_open_the_owners_goal_form(self):
        goal = self.create(sharing=GoalSharing.PARTNERS).goal
        self.client.force_login(self.p.mentor)
        self.assertEqual(
            self.client.get(reverse("mentorships:goal_edit", args=[goal.pk])).status_code, 404
        )
        response = self.client.post(
            reverse("mentorships:goal_edit", args=[goal.pk]),
            {"title": "Taken", "sharing": "private"},
        )
        self.assertEqual(response.status_code, 404)
        goal.refresh_from_db()
        self.assertEqual(goal.title, "Lead a small project")

    def test_a_concluded_relationship_shows_goals_without_their_forms(self):
        self.create(tasks=["a"])
        self.relationship.status = RelationshipStatus.CONCLUDED
        self.relationship.save(update_fields=["status"])
        response = self.workspace(self.p.mentee)
        self.assertContains(response, "Lead a small project")
        self.assertNotContains(response, "Add the task")
        self.assertNotContains(response, "Set a goal")
        self.client.force_login(self.p.mentee)
        page = self.client.get(reverse("mentorships:goal_create", args=[self.relationship.pk]))
        self.assertContains(page, "nothing new can be added")
        self.assertNotContains(page, "Set the goal")


class GoalQueryCountTests(GoalTestCase):
    def add_goals(self, count: int) -> None:
        mentor = RelationshipMember.objects.get(
            relationship=self.relationship, participant=self.p.mentor_participant
        )
        for n in range(count):
            user = self.p.mentee if n % 2 else self.p.mentor
            sharing = [GoalSharing.PRIVATE, GoalSharing.PARTNERS, GoalSharing.COORDINATOR][n % 3]
            goal = self.create(user=user, title=f"goal {n}", sharing=sharing).goal
            GoalTask.objects.bulk_create(
                GoalTask(goal=goal, text=f"task {n}.{t}", position=t) for t in range(3)
            )
        self.assertTrue(Goal.objects.filter(owner=mentor).exists())

    def count_queries(self, user, url) -> int:
        self.client.force_login(user)
        self.client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        return len(queries)

    def test_the_workspace_and_the_coordinators_view_stay_flat_as_goals_double(self):
        workspace = reverse("mentorships:relationship", args=[self.relationship.pk])
        overview = reverse(
            "mentorships:relationship_overview", args=[self.p.program.pk, self.relationship.pk]
        )
        cases = [(self.p.mentee, workspace), (self.p.mentor, workspace)]
        cases.append((self.p.coordinator, overview))
        self.add_goals(6)
        small = [self.count_queries(user, url) for user, url in cases]
        self.add_goals(12)
        large = [self.count_queries(user, url) for user, url in cases]
        self.assertEqual(small, large)


class GoalPromptSettingTests(GoalTestCase):
    def test_the_coordinator_writes_the_goal_prompts_on_the_program_settings_page(self):
        from tandem.programs.forms import ProgramForm

        program = self.p.program
        data = {k: v for k, v in ProgramForm(instance=program).initial.items() if v is not None}
        data = {k: v for k, v in data.items() if v is not False}
        data["goal_prompts"] = "Make it specific.\nPick a date."
        self.client.force_login(self.p.coordinator)
        url = reverse("programs:edit", args=[program.pk])
        self.assertContains(self.client.get(url), "Goal-setting prompts")
        self.client.post(url, data)
        program.refresh_from_db()
        self.assertEqual(program.goal_prompts, "Make it specific.\nPick a date.")
        self.client.force_login(self.p.mentee)
        page = self.client.get(reverse("mentorships:goal_create", args=[self.relationship.pk]))
        self.assertContains(page, "<li>Pick a date.</li>", html=True)
