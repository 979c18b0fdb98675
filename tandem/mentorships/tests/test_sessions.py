"""Proposing, picking, declining, cancelling, recording and logging sessions, with bad input."""

from __future__ import annotations

import datetime
import zoneinfo

from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import TestCase, TransactionTestCase
from django.utils import timezone

from tandem.accounts.models import Notification
from tandem.core.testing import make_personas, race
from tandem.mentorships.models import (
    RelationshipStatus,
    Session,
    SessionOption,
    SessionStatus,
)
from tandem.mentorships.sessions import outcomes, proposing
from tandem.mentorships.sessions.access import CONCLUDED_MESSAGE
from tandem.mentorships.sessions.times import local_to_utc
from tandem.mentorships.tests.pairs import (
    DAY,
    HOUR,
    another_pair,
    at,
    mia_and_marco,
    next_week,
    times,
)
from tandem.programs.models import ParticipantStatus

LONDON = zoneinfo.ZoneInfo("Europe/London")


class SessionTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.relationship = mia_and_marco(cls.p)

    def propose(self, *starts: datetime.datetime, user=None, key: str = "") -> Session:
        return proposing.session_propose(
            relationship_id=self.relationship.pk,
            user=user or self.p.mentee,
            options=times(*starts),
            place="Room 4",
            idempotency_key=key,
        ).session

    def assert_refused(self, field: str | None, text: str, call, *args, **kwargs) -> None:
        with self.assertRaises(ValidationError) as caught:
            call(*args, **kwargs)
        error = caught.exception
        if field is None:
            self.assertIn(text, " ".join(error.messages))
        else:
            self.assertIn(field, error.message_dict, error)
            self.assertIn(text, " ".join(error.message_dict[field]))


class ProposeTests(SessionTestCase):
    def test_a_proposal_has_its_times_and_tells_the_partner_only(self):
        start = next_week()
        session = self.propose(start, start + DAY)
        self.assertEqual(session.status, SessionStatus.PROPOSED)
        self.assertEqual(session.proposed_by, self.p.mentee)
        self.assertEqual(
            list(session.options.values_list("starts_at", flat=True)), [start, start + DAY]
        )
        notified = Notification.objects.filter(kind="session_proposed")
        self.assertEqual([n.user for n in notified], [self.p.mentor])

    def test_a_time_in_the_past_is_refused_and_nothing_is_written(self):
        self.assert_refused(
            "date_2", "in the past", self.propose, next_week(), timezone.now() - HOUR
        )
        self.assertFalse(Session.objects.exists())

    def test_an_end_before_the_start_is_refused(self):
        start = next_week()
        backwards = proposing.TimeOption(start, start - HOUR)
        self.assert_refused(
            "duration_1",
            "ends before it starts",
            proposing.session_propose,
            relationship_id=self.relationship.pk,
            user=self.p.mentee,
            options=[backwards],
        )
        self.assertFalse(Session.objects.exists())

    def test_one_to_three_times(self):
        start = next_week()
        self.assert_refused("date_1", "at least one", self.propose)
        self.assert_refused(None, "at most 3", self.propose, *(start + n * DAY for n in range(4)))
        self.assertFalse(Session.objects.exists())

    def test_a_form_submitted_twice_makes_one_session(self):
        first = self.propose(next_week(), key="form-1")
        again = proposing.session_propose(
            relationship_id=self.relationship.pk,
            user=self.p.mentee,
            options=times(next_week()),
            idempotency_key="form-1",
        )
        self.assertFalse(again.created)
        self.assertEqual(again.session.pk, first.pk)
        self.assertEqual(Session.objects.count(), 1)
        self.assertEqual(SessionOption.objects.count(), 1)

    def test_strangers_and_people_who_left_get_404(self):
        _, nia, _ = another_pair(self.p)
        for user in (self.p.outsider, self.p.coordinator, nia):
            with self.subTest(user=user.email), self.assertRaises(Http404):
                self.propose(next_week(), user=user)
        self.p.mentee_participant.status = ParticipantStatus.WITHDRAWN
        self.p.mentee_participant.save(update_fields=["status"])
        with self.assertRaises(Http404):
            self.propose(next_week())
        self.assertFalse(Session.objects.exists())

    def test_a_concluded_relationship_is_read_only(self):
        self.relationship.status = RelationshipStatus.CONCLUDED
        self.relationship.save(update_fields=["status"])
        self.assert_refused(None, CONCLUDED_MESSAGE, self.propose, next_week())
        self.assertFalse(Session.objects.exists())

    def test_an_overlap_with_another_session_of_mine_is_a_warning_not_a_refusal(self):
        start = next_week()
        other, _, _ = another_pair(self.p)
        Session.objects.create(
            relationship=other,
            status=SessionStatus.SCHEDULED,
            starts_at=start,
            ends_at=start + HOUR,
        )
        # Marco is not in that other relationship; Mia is not either: no warning for her.
        self.assertEqual(
            proposing.session_propose(
                relationship_id=self.relationship.pk, user=self.p.mentee, options=times(start)
            ).warnings,
            [],
        )
        mine = Session.objects.create(
            relationship=self.relationship,
            status=SessionStatus.SCHEDULED,
            starts_at=start + 30 * datetime.timedelta(minutes=1),
            ends_at=start + 2 * HOUR,
        )
        proposal = proposing.session_propose(
            relationship_id=self.relationship.pk, user=self.p.mentor, options=times(start)
        )
        self.assertEqual(len(proposal.warnings), 1)
        self.assertIn("overlaps another session of yours", proposal.warnings[0])
        self.assertTrue(Session.objects.filter(pk=proposal.session.pk).exists())
        self.assertNotEqual(mine.pk, proposal.session.pk)


class PickTests(SessionTestCase):
    def test_the_partner_picks_a_time_and_the_agenda_due_time_is_fixed(self):
        start = next_week()
        session = self.propose(start, start + DAY)
        second = session.options.order_by("starts_at").last()
        proposal = proposing.session_pick(
            session_id=session.pk, user=self.p.mentor, option_id=second.pk
        )
        session.refresh_from_db()
        self.assertEqual(session.status, SessionStatus.SCHEDULED)
        self.assertEqual((session.starts_at, session.ends_at), (second.starts_at, second.ends_at))
        self.assertEqual(session.agenda_due_at, second.starts_at - 24 * HOUR)
        self.assertEqual(proposal.warnings, [])
        self.assertTrue(
            Notification.objects.filter(user=self.p.mentee, kind="session_scheduled").exists()
        )

    def test_the_proposer_cannot_pick_and_a_second_pick_is_refused(self):
        session = self.propose(next_week())
        option = session.options.get()
        self.assert_refused(
            None,
            "You proposed these times",
            proposing.session_pick,
            session_id=session.pk,
            user=self.p.mentee,
            option_id=option.pk,
        )
        proposing.session_pick(session_id=session.pk, user=self.p.mentor, option_id=option.pk)
        self.assert_refused(
            None,
            "scheduled already",
            proposing.session_pick,
            session_id=session.pk,
            user=self.p.mentor,
            option_id=option.pk,
        )

    def test_a_time_that_passed_meanwhile_cannot_be_picked(self):
        start = next_week()
        session = self.propose(start)
        option = session.options.get()
        self.assert_refused(
            "option",
            "has passed",
            proposing.session_pick,
            session_id=session.pk,
            user=self.p.mentor,
            option_id=option.pk,
            now=start + HOUR,
        )
        session.refresh_from_db()
        self.assertEqual(session.status, SessionStatus.PROPOSED)


class DeclineTests(SessionTestCase):
    def test_declining_needs_a_note_and_proposes_other_times(self):
        start = next_week()
        session = self.propose(start)
        self.assert_refused(
            "note",
            "why",
            proposing.session_decline,
            session_id=session.pk,
            user=self.p.mentor,
            note="  ",
            options=times(start + DAY),
        )
        proposing.session_decline(
            session_id=session.pk,
            user=self.p.mentor,
            note="I travel that day",
            options=times(start + DAY, start + 2 * DAY),
        )
        session.refresh_from_db()
        self.assertEqual(session.proposed_by, self.p.mentor)
        self.assertEqual(session.response_note, "I travel that day")
        open_times = session.options.filter(declined_at__isnull=True)
        self.assertEqual(open_times.count(), 2)
        self.assertEqual(session.options.filter(declined_at__isnull=False).count(), 1)
        # A second submission of the same decline changes nothing.
        self.assert_refused(
            None,
            "You proposed these times already",
            proposing.session_decline,
            session_id=session.pk,
            user=self.p.mentor,
            note="I travel that day",
            options=times(start + DAY, start + 2 * DAY),
        )
        self.assertEqual(session.options.count(), 3)
        # Now Mia picks one of Marco's times; a declined one cannot be picked.
        declined = session.options.get(declined_at__isnull=False)
        self.assert_refused(
            "option",
            "Choose one of the times",
            proposing.session_pick,
            session_id=session.pk,
            user=self.p.mentee,
            option_id=declined.pk,
        )
        proposing.session_pick(
            session_id=session.pk, user=self.p.mentee, option_id=open_times.first().pk
        )


class OutcomeTests(SessionTestCase):
    def scheduled(self, start: datetime.datetime) -> Session:
        session = self.propose(start)
        proposing.session_pick(
            session_id=session.pk,
            user=self.p.mentor,
            option_id=session.options.get().pk,
            now=start - 2 * DAY,
        )
        session.refresh_from_db()
        return session

    def test_cancelling_needs_a_reason_and_happens_once(self):
        session = self.scheduled(next_week())
        self.assert_refused(
            "reason",
            "why",
            outcomes.session_cancel,
            session_id=session.pk,
            user=self.p.mentor,
            reason="",
        )
        outcomes.session_cancel(session_id=session.pk, user=self.p.mentor, reason="Ill")
        session.refresh_from_db()
        self.assertEqual((session.status, session.cancel_reason), (SessionStatus.CANCELLED, "Ill"))
        self.assert_refused(
            None,
            "cannot be cancelled",
            outcomes.session_cancel,
            session_id=session.pk,
            user=self.p.mentee,
            reason="Again",
        )
        self.assertEqual(
            Notification.objects.filter(kind="session_cancelled", user=self.p.mentee).count(), 1
        )

    def test_held_or_missed_only_once_it_has_started(self):
        start = next_week()
        session = self.scheduled(start)
        self.assert_refused(
            None,
            "not started yet",
            outcomes.session_record,
            session_id=session.pk,
            user=self.p.mentee,
            outcome="held",
        )
        self.assert_refused(
            "outcome",
            "held or missed",
            outcomes.session_record,
            session_id=session.pk,
            user=self.p.mentee,
            outcome="fun",
            now=start + HOUR,
        )
        outcomes.session_record(
            session_id=session.pk, user=self.p.mentee, outcome="held", now=start + HOUR
        )
        session.refresh_from_db()
        self.assertEqual(session.status, SessionStatus.HELD)

    def test_a_session_held_outside_tandem_is_logged_afterwards_only(self):
        yesterday = timezone.now().replace(microsecond=0) - DAY
        log = outcomes.session_log
        kwargs = {"relationship_id": self.relationship.pk, "user": self.p.mentee}
        self.assert_refused(
            "date_1",
            "happened already",
            log,
            starts_at=next_week(),
            ends_at=next_week() + HOUR,
            **kwargs,
        )
        self.assert_refused(
            "duration_1",
            "ends before it starts",
            log,
            starts_at=yesterday,
            ends_at=yesterday,
            **kwargs,
        )
        first = log(
            starts_at=yesterday, ends_at=yesterday + HOUR, idempotency_key="log-1", **kwargs
        )
        again = log(
            starts_at=yesterday, ends_at=yesterday + HOUR, idempotency_key="log-1", **kwargs
        )
        self.assertEqual(first.session.pk, again.session.pk)
        session = Session.objects.get()
        self.assertEqual((session.status, session.logged), (SessionStatus.HELD, True))


class DaylightSavingTests(TestCase):
    def test_wall_clock_times_become_utc_with_summer_time(self):
        nine = datetime.time(9, 0)
        summer = local_to_utc(datetime.date(2030, 7, 1), nine, LONDON)
        winter = local_to_utc(datetime.date(2030, 1, 7), nine, LONDON)
        self.assertEqual(summer, datetime.datetime(2030, 7, 1, 8, 0, tzinfo=datetime.UTC))
        self.assertEqual(winter, datetime.datetime(2030, 1, 7, 9, 0, tzinfo=datetime.UTC))

    def test_a_time_the_clocks_skip_is_refused_and_a_repeated_one_is_the_first(self):
        with self.assertRaisesMessage(ValidationError, "does not exist in Europe/London"):
            local_to_utc(datetime.date(2030, 3, 31), datetime.time(1, 30), LONDON)
        repeated = local_to_utc(datetime.date(2030, 10, 27), datetime.time(1, 30), LONDON)
        self.assertEqual(repeated, datetime.datetime(2030, 10, 27, 0, 30, tzinfo=datetime.UTC))


class ConcurrentSessionTests(TransactionTestCase):
    """Two members at once: real threads, each with its own connection (SQLite serializes
    writers with IMMEDIATE transactions; PostgreSQL with the relationship's row lock)."""

    def race(self, *calls) -> list[object]:
        return race(*calls)

    def test_the_same_proposal_submitted_twice_at_once_makes_one_session(self):
        p = make_personas()
        relationship = mia_and_marco(p)
        start = next_week()

        def propose():
            return proposing.session_propose(
                relationship_id=relationship.pk,
                user=p.mentee,
                options=[at(start)],
                idempotency_key="same-form",
            )

        results = self.race(propose, propose)
        self.assertTrue(all(isinstance(r, proposing.Proposal) for r in results), results)
        self.assertEqual(Session.objects.count(), 1)
        self.assertEqual(SessionOption.objects.count(), 1)

    def test_two_picks_at_once_schedule_the_session_once(self):
        p = make_personas()
        relationship = mia_and_marco(p)
        start = next_week()
        session = proposing.session_propose(
            relationship_id=relationship.pk, user=p.mentee, options=times(start, start + DAY)
        ).session
        first, second = session.options.order_by("starts_at")

        def pick(option_id):
            return lambda: proposing.session_pick(
                session_id=session.pk, user=p.mentor, option_id=option_id
            )

        results = self.race(pick(first.pk), pick(second.pk))
        refused = [r for r in results if isinstance(r, ValidationError)]
        self.assertEqual(len(refused), 1, results)
        self.assertEqual(
            Notification.objects.filter(kind="session_scheduled", user=p.mentee).count(), 1
        )
        session.refresh_from_db()
        self.assertEqual(session.status, SessionStatus.SCHEDULED)
