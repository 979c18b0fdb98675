"""Sessions in calendars: the .ics on every email about a session, the download, the private feed.

Every file Tandem writes is parsed back with the `icalendar` library, as a calendar app would.
"""

from __future__ import annotations

import datetime
from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from tandem.core.testing import make_personas
from tandem.core.tests.test_email_smtp import smtp_server, smtp_settings
from tandem.mentorships.calendars import feeds
from tandem.mentorships.models import Agenda, Session, SessionStatus
from tandem.mentorships.sessions import outcomes, proposing
from tandem.mentorships.tests.pairs import DAY, another_pair, mia_and_marco, next_week, times
from tandem.programs.models import ParticipantStatus

ODD_PLACE = 'Café "Zürich", 2nd floor; room 4\nask at the desk 🎉 \\ back'
CANARY = "CANARY-agenda-5f1c"
__all__ = ["smtp_server"]  # the loopback SMTP server fixture, used below


def events(data: bytes | str) -> list:
    calendar = Calendar.from_ical(data)
    return list(calendar.walk("VEVENT"))


def ics_of(message: mail.EmailMessage) -> tuple[str, str]:
    """(content, MIME type) of the one calendar file an email carries."""
    files = [a for a in message.attachments if a[0].endswith(".ics")]
    assert len(files) == 1, message.attachments
    _name, content, mimetype = files[0]
    return content, mimetype


class ScheduledSessionMixin:
    def schedule(self, start: datetime.datetime, place: str = "Room 4") -> Session:
        session = proposing.session_propose(
            relationship_id=self.relationship.pk,
            user=self.p.mentee,
            options=times(start),
            place=place,
        ).session
        with self.captureOnCommitCallbacks(execute=True):
            proposing.session_pick(
                session_id=session.pk, user=self.p.mentor, option_id=session.options.get().pk
            )
        session.refresh_from_db()
        return session


class SessionEmailCalendarTests(ScheduledSessionMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.relationship = mia_and_marco(cls.p)
        cls.p.mentee.time_zone = "Europe/London"
        cls.p.mentee.save(update_fields=["time_zone"])
        cls.p.mentor.time_zone = "Asia/Kolkata"
        cls.p.mentor.save(update_fields=["time_zone"])

    def test_scheduling_emails_each_member_a_request_in_utc(self):
        start = next_week()
        session = self.schedule(start)
        scheduled = [m for m in mail.outbox if m.subject.startswith("Session scheduled")]
        self.assertEqual(
            sorted(m.to[0] for m in scheduled), [self.p.mentor.email, self.p.mentee.email]
        )
        for message in scheduled:
            content, mimetype = ics_of(message)
            self.assertEqual(mimetype, "text/calendar; charset=utf-8; method=REQUEST")
            calendar = Calendar.from_ical(content)
            self.assertEqual(str(calendar["method"]), "REQUEST")
            (event,) = events(content)
            self.assertEqual(str(event["uid"]), f"session-{session.pk}@127.0.0.1")
            self.assertEqual(int(event["sequence"]), session.sequence)
            self.assertEqual(event.decoded("dtstart"), start)
            self.assertEqual(event.decoded("dtstart").utcoffset(), datetime.timedelta(0))
            self.assertIn(
                "DTSTART:" + start.strftime("%Y%m%dT%H%M%SZ"), content.replace("\r\n ", "")
            )
            self.assertEqual(event.decoded("dtend"), start + datetime.timedelta(hours=1))
            self.assertEqual(str(event["status"]), "CONFIRMED")
            self.assertEqual(str(event["attendee"]), f"mailto:{message.to[0]}")
        mentees = [m for m in scheduled if m.to == [self.p.mentee.email]]
        (mentee_event,) = events(ics_of(mentees[0])[0])
        self.assertEqual(str(mentee_event["summary"]), "Mentoring session with Marco Mentor")

    def test_each_email_shows_the_time_in_its_readers_zone(self):
        start = next_week().replace(hour=9)
        self.schedule(start)
        by_reader = {m.to[0]: m.subject for m in mail.outbox if "scheduled" in m.subject}
        london = start.astimezone(self.p.mentee.zone)
        kolkata = start.astimezone(self.p.mentor.zone)
        self.assertIn(london.strftime("%H:%M"), by_reader[self.p.mentee.email])
        self.assertIn(kolkata.strftime("%H:%M"), by_reader[self.p.mentor.email])

    def test_cancelling_sends_a_cancel_with_the_same_uid_and_a_higher_sequence(self):
        session = self.schedule(next_week())
        (first,) = events(ics_of(mail.outbox[-1])[0])
        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            outcomes.session_cancel(session_id=session.pk, user=self.p.mentee, reason="Ill")
        self.assertEqual(len(mail.outbox), 2)
        for message in mail.outbox:
            content, mimetype = ics_of(message)
            self.assertTrue(mimetype.endswith("method=CANCEL"))
            self.assertEqual(str(Calendar.from_ical(content)["method"]), "CANCEL")
            (event,) = events(content)
            self.assertEqual(event["uid"], first["uid"])
            self.assertGreater(int(event["sequence"]), int(first["sequence"]))
            self.assertEqual(str(event["status"]), "CANCELLED")
            self.assertNotIn("Ill", content)  # the reason is the members' own, not the calendar's

    def test_a_proposal_cancelled_before_any_time_was_chosen_sends_no_calendar(self):
        session = proposing.session_propose(
            relationship_id=self.relationship.pk, user=self.p.mentee, options=times(next_week())
        ).session
        with self.captureOnCommitCallbacks(execute=True):
            outcomes.session_cancel(session_id=session.pk, user=self.p.mentee, reason="No")
        self.assertEqual([m for m in mail.outbox if m.attachments], [])

    def test_commas_semicolons_newlines_and_emoji_stay_valid(self):
        session = self.schedule(next_week(), place=ODD_PLACE)
        # A place is one line: its newline became a space; the rest is kept as written.
        self.assertEqual(session.place, ODD_PLACE.replace("\n", " "))
        content, _ = ics_of(mail.outbox[-1])
        (event,) = events(content)
        self.assertEqual(str(event["location"]), session.place)
        self.assertTrue(all(len(line.encode()) <= 75 for line in content.split("\r\n")))
        response = self.download(session)
        (downloaded,) = events(response.content)
        self.assertEqual(str(downloaded["location"]), session.place)

    def test_no_agenda_text_goes_into_a_calendar(self):
        session = self.schedule(next_week())
        Agenda.objects.create(
            session=session,
            title=CANARY,
            prompts=["Q"],
            answers=[CANARY],
            sent_at=session.starts_at,
        )
        self.assertNotIn(CANARY, self.download(session).content.decode())
        for message in mail.outbox:
            self.assertNotIn(CANARY, ics_of(message)[0])

    def test_a_daylight_saving_change_between_proposal_and_session_keeps_the_instant(self):
        # London leaves summer time on the last Sunday of October: 09:00 local is 08:00 UTC
        # before and 09:00 UTC after. The file says the instant, in UTC.
        year = datetime.date.today().year + 1
        after_change = datetime.datetime(year, 11, 2, 9, 0, tzinfo=self.p.mentee.zone)
        session = self.schedule(after_change)
        (event,) = events(self.download(session).content)
        self.assertEqual(event.decoded("dtstart"), after_change)
        self.assertEqual(event.decoded("dtstart").astimezone(datetime.UTC).hour, 9)

    def download(self, session: Session):
        self.client.force_login(self.p.mentor)
        response = self.client.get(reverse("mentorships:session_calendar", args=[session.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/calendar; charset=utf-8")
        self.assertIn("attachment", response["Content-Disposition"])
        return response


class SessionDownloadTests(ScheduledSessionMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.relationship = mia_and_marco(cls.p)

    def test_a_proposed_session_has_no_file_yet(self):
        session = proposing.session_propose(
            relationship_id=self.relationship.pk, user=self.p.mentee, options=times(next_week())
        ).session
        self.client.force_login(self.p.mentee)
        response = self.client.get(reverse("mentorships:session_calendar", args=[session.pk]))
        self.assertEqual(response.status_code, 404)

    def test_the_session_page_offers_the_file_once_scheduled(self):
        session = self.schedule(next_week())
        self.client.force_login(self.p.mentee)
        page = self.client.get(reverse("mentorships:session", args=[session.pk]))
        self.assertContains(page, reverse("mentorships:session_calendar", args=[session.pk]))

    def test_someone_of_another_relationship_gets_404(self):
        session = self.schedule(next_week())
        _relationship, nia, _nico = another_pair(self.p)
        self.client.force_login(nia)
        response = self.client.get(reverse("mentorships:session_calendar", args=[session.pk]))
        self.assertEqual(response.status_code, 404)


class FeedTests(ScheduledSessionMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.relationship = mia_and_marco(cls.p)

    def feed_url(self) -> str:
        feed = feeds.feed_turn_on(user=self.p.mentee)
        return reverse("mentorships:calendar_feed", args=[feed.token])

    def test_the_feed_lists_the_persons_own_sessions_without_logging_in(self):
        mine = self.schedule(next_week())
        other_relationship, nia, nico = another_pair(self.p)
        theirs = proposing.session_propose(
            relationship_id=other_relationship.pk, user=nia, options=times(next_week() + DAY)
        ).session
        proposing.session_pick(session_id=theirs.pk, user=nico, option_id=theirs.options.get().pk)
        response = self.client.get(self.feed_url())
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/calendar; charset=utf-8")
        uids = [str(e["uid"]) for e in events(response.content)]
        self.assertEqual(uids, [f"session-{mine.pk}@127.0.0.1"])
        self.assertNotIn("METHOD", response.content.decode())

    def test_a_cancelled_session_stays_in_the_feed_as_cancelled(self):
        session = self.schedule(next_week())
        outcomes.session_cancel(session_id=session.pk, user=self.p.mentor, reason="Away")
        (event,) = events(self.client.get(self.feed_url()).content)
        self.assertEqual(str(event["status"]), "CANCELLED")

    def test_a_new_address_ends_the_old_one_and_turning_off_ends_both(self):
        old = self.feed_url()
        feed = feeds.feed_replace_address(user=self.p.mentee)
        new = reverse("mentorships:calendar_feed", args=[feed.token])
        self.assertEqual(self.client.get(old).status_code, 404)
        self.assertEqual(self.client.get(new).status_code, 200)
        feeds.feed_turn_off(user=self.p.mentee)
        self.assertEqual(self.client.get(new).status_code, 404)

    def test_turning_it_on_twice_keeps_one_address(self):
        first = feeds.feed_turn_on(user=self.p.mentee)
        self.assertEqual(feeds.feed_turn_on(user=self.p.mentee).token, first.token)

    def test_someone_who_left_the_program_loses_its_sessions_from_the_feed(self):
        self.schedule(next_week())
        url = self.feed_url()
        self.p.mentee_participant.status = ParticipantStatus.WITHDRAWN
        self.p.mentee_participant.save(update_fields=["status"])
        self.assertEqual(events(self.client.get(url).content), [])

    def test_an_unknown_or_odd_token_is_404(self):
        for token in ("nope", "x" * 65, "%00"):
            with self.subTest(token=token):
                response = self.client.get(f"/calendar/{token}.ics")
                self.assertEqual(response.status_code, 404)

    def test_the_feed_reads_in_the_same_queries_however_many_sessions(self):
        url = self.feed_url()
        self.schedule(next_week())
        self.client.get(url)  # the first read notes its time
        with CaptureQueriesContext(connection) as few:
            self.client.get(url)
        for day in range(2, 8):
            self.schedule(next_week() + day * DAY)
        with CaptureQueriesContext(connection) as many:
            response = self.client.get(url)
        self.assertEqual(len(events(response.content)), 7)
        self.assertEqual(len(many), len(few))

    def test_the_settings_page_turns_the_feed_on_replaces_and_turns_it_off(self):
        self.client.force_login(self.p.mentee)
        url = reverse("mentorships:calendar_settings")
        self.assertContains(self.client.get(url), "Your feed is off.")
        page = self.client.post(url, {"action": "on"}, follow=True)
        token = self.p.mentee.calendar_feed.token
        self.assertContains(page, f"/calendar/{token}.ics")
        self.client.post(url, {"action": "replace"})
        self.p.mentee.refresh_from_db()
        self.assertNotEqual(self.p.mentee.calendar_feed.token, token)
        page = self.client.post(url, {"action": "off"}, follow=True)
        self.assertContains(page, "Your feed is off.")
        page = self.client.post(url, {"action": "explode"}, follow=True)
        self.assertContains(page, "Choose one of the buttons below.")


@pytest.mark.django_db(transaction=True)
def test_the_invitation_arrives_through_smtp_as_a_calendar_part(
    smtp_server, django_capture_on_commit_callbacks
):
    recorder, port = smtp_server
    p = make_personas()
    relationship = mia_and_marco(p)
    session = proposing.session_propose(
        relationship_id=relationship.pk, user=p.mentee, options=times(next_week())
    ).session
    with smtp_settings(port), django_capture_on_commit_callbacks(execute=True):
        proposing.session_pick(
            session_id=session.pk, user=p.mentor, option_id=session.options.get().pk
        )
    parts = []
    for envelope in recorder.envelopes:
        message = message_from_bytes(envelope.content, policy=policy.default)
        parts += [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 2
    assert parts[0].get_param("method") == "REQUEST"
    (event,) = events(parts[0].get_content())
    assert str(event["uid"]) == f"session-{session.pk}@127.0.0.1"
    assert Session.objects.get(pk=session.pk).status == SessionStatus.SCHEDULED
