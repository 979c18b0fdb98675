"""The notification list with its unread count in the header, and each person's email choices."""

from __future__ import annotations

from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tandem.accounts import preferences
from tandem.accounts.models import Notification, NotificationSettings
from tandem.core.testing import make_personas, make_user
from tandem.mentorships.sessions import proposing
from tandem.mentorships.tests.pairs import mia_and_marco, next_week, times


class NotificationListTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def notify(self, user, text: str, **extra) -> Notification:
        return Notification.objects.create(user=user, kind="session_proposed", text=text, **extra)

    def test_the_header_counts_the_unread_ones(self):
        self.notify(self.p.mentee, "One", url="/")
        self.notify(self.p.mentee, "Two")
        self.notify(self.p.mentor, "Not Mia's")
        self.client.force_login(self.p.mentee)
        page = self.client.get(reverse("notifications"))
        self.assertContains(page, '<span class="count">2<span class="visually-hidden"> unread')
        self.assertContains(page, "One")
        self.assertNotContains(page, "Not Mia&#x27;s")

    def test_marking_all_read_empties_the_count(self):
        self.notify(self.p.mentee, "One")
        self.client.force_login(self.p.mentee)
        page = self.client.post(reverse("notifications_read"), follow=True)
        self.assertContains(page, "Marked 1 notification read.")
        self.assertNotContains(page, 'class="count"')
        self.assertFalse(self.p.mentee.notifications.unread().exists())
        self.assertTrue(self.p.mentee.notifications.exists())

    def test_a_long_list_is_paged_and_a_bad_page_shows_the_first(self):
        for i in range(35):
            self.notify(self.p.mentee, f"Notice {i:02d}")
        self.client.force_login(self.p.mentee)
        first = self.client.get(reverse("notifications"))
        self.assertContains(first, "Notice 34")
        self.assertNotContains(first, "Notice 04")
        second = self.client.get(reverse("notifications"), {"page": "2"})
        self.assertContains(second, "Notice 04")
        for odd in ("٣", "x", "99999999999999999999"):
            odd_page = self.client.get(reverse("notifications"), {"page": odd})
            self.assertEqual(odd_page.status_code, 200)

    def test_the_list_reads_in_the_same_queries_however_long(self):
        self.client.force_login(self.p.mentee)
        self.notify(self.p.mentee, "First")
        with CaptureQueriesContext(connection) as few:
            self.client.get(reverse("notifications"))
        for i in range(20):
            self.notify(self.p.mentee, f"More {i}")
        with CaptureQueriesContext(connection) as many:
            self.client.get(reverse("notifications"))
        self.assertEqual(len(many), len(few))


class EmailChoiceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.relationship = mia_and_marco(cls.p)

    def test_by_default_every_kind_emails_and_messages_come_hourly(self):
        self.assertTrue(preferences.wants_email(self.p.mentee, "session_scheduled"))
        self.assertEqual(preferences.message_digest_frequency(self.p.mentee), preferences.HOURLY)

    def test_the_page_saves_the_choices(self):
        self.client.force_login(self.p.mentor)
        url = reverse("notification_settings")
        on = [g for g in preferences.EMAIL_GROUPS if g != "session"]
        page = self.client.post(url, {"email_on": on, "message_digest": "daily"}, follow=True)
        self.assertContains(page, "Your email choices are saved.")
        settings = NotificationSettings.objects.get(user=self.p.mentor)
        self.assertEqual(settings.email_off, ["session"])
        self.assertFalse(preferences.wants_email(self.p.mentor, "session_scheduled"))
        self.assertTrue(preferences.wants_email(self.p.mentor, "agenda_sent"))
        self.assertEqual(preferences.message_digest_frequency(self.p.mentor), preferences.DAILY)

    def test_an_unknown_choice_is_refused_and_nothing_saved(self):
        self.client.force_login(self.p.mentor)
        url = reverse("notification_settings")
        page = self.client.post(url, {"email_on": ["bananas"], "message_digest": "weekly"})
        self.assertContains(page, "Select a valid choice. bananas is not one of the available")
        self.assertContains(page, "Select a valid choice. weekly is not one of the available")
        self.assertFalse(NotificationSettings.objects.exists())

    def test_sessions_switched_off_means_notices_in_tandem_but_no_email(self):
        NotificationSettings.objects.create(user=self.p.mentor, email_off=["session"])
        session = proposing.session_propose(
            relationship_id=self.relationship.pk, user=self.p.mentee, options=times(next_week())
        ).session
        with self.captureOnCommitCallbacks(execute=True):
            proposing.session_pick(
                session_id=session.pk, user=self.p.mentor, option_id=session.options.get().pk
            )
        scheduled = [m.to for m in mail.outbox if m.subject.startswith("Session scheduled")]
        self.assertEqual(scheduled, [[self.p.mentee.email]])
        self.assertTrue(self.p.mentee.notifications.filter(kind="session_scheduled").exists())

    def test_account_emails_are_never_switched_off(self):
        self.assertTrue(preferences.wants_email(self.p.mentee, "password_reset"))
        NotificationSettings.objects.create(
            user=self.p.mentee, email_off=list(preferences.EMAIL_GROUPS)
        )
        self.assertTrue(preferences.wants_email(self.p.mentee, "verify_email"))

    def test_choosing_for_many_people_takes_one_query(self):
        people = [make_user(f"p{i}@northwind.example") for i in range(30)]
        NotificationSettings.objects.create(user=people[3], email_off=["match"])
        with CaptureQueriesContext(connection) as queries:
            wanting = preferences.wanting_email(people, "match_made")
        self.assertEqual(len(queries), 1)
        self.assertEqual(len(wanting), 29)
        self.assertNotIn(people[3], wanting)
