"""Self-matching: sending, accepting, declining and withdrawing requests; the reminder sweep; races.

Mia (mentee) and Marco (mentor, capacity 2) come from the personas; the program has
self-matching switched on unless a test says otherwise.
"""

from __future__ import annotations

import datetime
import io
import threading
from unittest import mock

from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import TestCase, TransactionTestCase
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tandem.core.testing import make_personas, run_task_worker
from tandem.matching import tasks
from tandem.matching.models import MatchingRules, MatchRequest, RequestStatus
from tandem.matching.self_match import (
    match_request_accept,
    match_request_decline,
    match_request_send,
    match_request_withdraw,
    match_requests_sweep,
)
from tandem.matching.services import rules_update
from tandem.matching.tests.people import add_mentor, add_person
from tandem.mentorships.models import MatchSource, MemberRole, Relationship, RelationshipMember
from tandem.mentorships.services import MatchRefused, relationship_create


def _switch_on_self_matching(program, **rules):
    program.self_matching = True
    program.save(update_fields=["self_matching"])
    MatchingRules.objects.update_or_create(program=program, defaults=rules)


def _age(request, days):
    """Pretend `request` was sent `days` days (and a minute) ago."""
    when = timezone.now() - datetime.timedelta(days=days, minutes=1)
    MatchRequest.objects.filter(pk=request.pk).update(created_at=when)


class SendTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        _switch_on_self_matching(cls.p.program, max_open_requests=2)
        cls.sol = add_mentor(cls.p.program, "sol@northwind.example", capacity=1)
        cls.tom = add_mentor(cls.p.program, "tom@northwind.example", capacity=1)

    def send(self, mentor, message="Could we work on leadership?"):
        return match_request_send(mentee=self.p.mentee_participant, mentor=mentor, message=message)

    def test_a_request_is_open_and_the_mentor_is_told_after_commit(self):
        with self.captureOnCommitCallbacks(execute=True):
            request = self.send(self.p.mentor_participant)
            self.assertEqual(mail.outbox, [])  # nothing before the commit
        self.assertEqual(request.status, RequestStatus.OPEN)
        self.assertEqual([m.to for m in mail.outbox], [[self.p.mentor.email]])
        self.assertEqual(self.p.mentor.notifications.filter(kind="request_received").count(), 1)

    def test_more_open_requests_than_the_program_allows_are_refused(self):
        self.send(self.p.mentor_participant)
        self.send(self.sol)
        with self.assertRaisesMessage(ValidationError, "You can have 2 open requests at a time"):
            self.send(self.tom)
        self.assertEqual(MatchRequest.objects.open().count(), 2)

    def test_a_withdrawn_request_frees_its_place_under_the_limit(self):
        first = self.send(self.p.mentor_participant)
        self.send(self.sol)
        match_request_withdraw(request_id=first.pk, mentee_user=self.p.mentee)
        self.send(self.tom)
        self.assertEqual(MatchRequest.objects.open().count(), 2)

    def test_a_second_open_request_to_the_same_mentor_gets_a_clear_message(self):
        self.send(self.p.mentor_participant)
        with self.assertRaisesMessage(
            ValidationError, "You have already asked Marco Mentor; wait for their answer."
        ):
            self.send(self.p.mentor_participant)
        self.assertEqual(MatchRequest.objects.count(), 1)

    def test_a_mentor_with_no_room_cannot_be_asked(self):
        other = add_person(self.p.program, "ana@northwind.example")
        relationship_create(
            program=self.p.program,
            mentor=self.sol,
            mentees=[other],
            source=MatchSource.MANUAL,
            created_by=self.p.coordinator,
        )
        with self.assertRaisesMessage(ValidationError, "Sol has no room for another mentee now"):
            self.send(self.sol)
        self.assertFalse(MatchRequest.objects.exists())

    def test_a_program_without_self_matching_refuses_requests(self):
        self.p.program.self_matching = False
        self.p.program.save(update_fields=["self_matching"])
        with self.assertRaisesMessage(ValidationError, "does not use self-matching"):
            self.send(self.p.mentor_participant)
        self.assertFalse(MatchRequest.objects.exists())

    def test_a_mentee_who_is_matched_already_cannot_send_requests(self):
        relationship_create(
            program=self.p.program,
            mentor=self.sol,
            mentees=[self.p.mentee_participant],
            source=MatchSource.MANUAL,
            created_by=self.p.coordinator,
        )
        with self.assertRaisesMessage(ValidationError, "You have a match already."):
            self.send(self.p.mentor_participant)
        self.assertFalse(MatchRequest.objects.exists())

    def test_an_empty_message_is_refused(self):
        with self.assertRaisesMessage(ValidationError, "Write a few words"):
            self.send(self.p.mentor_participant, message="   ")

    def test_a_double_submitted_form_sends_one_request_and_one_email(self):
        self.client.force_login(self.p.mentee)
        url = reverse("matching:request_create", args=[self.p.program.pk, self.sol.pk])
        data = {"message": "I would love to learn from you."}
        with self.captureOnCommitCallbacks(execute=True):
            first = self.client.post(url, data)
        with self.captureOnCommitCallbacks(execute=True):
            second = self.client.post(url, data)
        self.assertRedirects(first, reverse("matching:my_requests", args=[self.p.program.pk]))
        self.assertEqual(second.status_code, 200)
        self.assertContains(second, "You have already asked Sol; wait for their answer.")
        self.assertEqual(MatchRequest.objects.filter(mentor=self.sol).count(), 1)
        self.assertEqual([m.to for m in mail.outbox], [["sol@northwind.example"]])


class AnswerTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        _switch_on_self_matching(cls.p.program, max_open_requests=3)
        cls.sol = add_mentor(cls.p.program, "sol@northwind.example", capacity=1)
        mia = cls.p.mentee_participant
        cls.to_marco = match_request_send(mentee=mia, mentor=cls.p.mentor_participant, message="Hi")
        cls.to_sol = match_request_send(mentee=mia, mentor=cls.sol, message="Hello")
        mail.outbox.clear()

    def test_accepting_creates_the_relationship_and_tells_the_mentee_after_commit(self):
        with self.captureOnCommitCallbacks(execute=True):
            relationship = match_request_accept(
                request_id=self.to_marco.pk, mentor_user=self.p.mentor, note="Glad to!"
            )
            self.assertEqual(mail.outbox, [])
        self.assertEqual(relationship.source, MatchSource.SELF)
        roles = dict(relationship.members.values_list("participant_id", "role"))
        self.assertEqual(
            roles,
            {
                self.p.mentee_participant.pk: MemberRole.MENTEE,
                self.p.mentor_participant.pk: MemberRole.MENTOR,
            },
        )
        self.to_marco.refresh_from_db()
        self.assertEqual(self.to_marco.status, RequestStatus.ACCEPTED)
        self.assertEqual(self.to_marco.relationship, relationship)
        self.assertEqual(self.to_marco.response_note, "Glad to!")
        # Mia hears "request accepted", with Marco's note; Marco, who just said yes, gets no email.
        self.assertEqual([m.to for m in mail.outbox], [[self.p.mentee.email]])
        self.assertIn("accepted", mail.outbox[0].subject)
        self.assertIn("Glad to!", mail.outbox[0].body)
        self.assertIn(
            reverse("mentorships:relationship", args=[relationship.pk]), mail.outbox[0].body
        )
        self.assertTrue(
            self.p.mentee.notifications.filter(
                kind="request_accepted",
                url=reverse("mentorships:relationship", args=[relationship.pk]),
            ).exists()
        )

    def test_a_request_cannot_be_accepted_once_self_matching_is_off(self):
        program = self.p.program
        program.self_matching = False
        program.save(update_fields=["self_matching"])
        with self.assertRaisesMessage(MatchRefused, "no longer uses self-matching"):
            match_request_accept(request_id=self.to_marco.pk, mentor_user=self.p.mentor)
        self.to_marco.refresh_from_db()
        self.assertEqual(self.to_marco.status, RequestStatus.OPEN)

    def test_accepting_withdraws_the_mentees_other_open_requests_quietly(self):
        with self.captureOnCommitCallbacks(execute=True):
            match_request_accept(request_id=self.to_marco.pk, mentor_user=self.p.mentor)
        self.to_sol.refresh_from_db()
        self.assertEqual(self.to_sol.status, RequestStatus.WITHDRAWN)
        self.assertNotIn(["sol@northwind.example"], [m.to for m in mail.outbox])
        with self.assertRaisesMessage(MatchRefused, "withdrawn already"):
            match_request_accept(request_id=self.to_sol.pk, mentor_user=self.sol.user)
        self.assertEqual(Relationship.objects.count(), 1)

    def test_only_the_mentor_asked_can_accept(self):
        with self.assertRaisesMessage(MatchRefused, "This request does not exist."):
            match_request_accept(request_id=self.to_marco.pk, mentor_user=self.sol.user)
        self.assertFalse(Relationship.objects.exists())

    def test_accepting_past_capacity_is_refused_and_the_request_stays_open(self):
        other = add_person(self.p.program, "ana@northwind.example")
        relationship_create(
            program=self.p.program,
            mentor=self.sol,
            mentees=[other],
            source=MatchSource.MANUAL,
            created_by=self.p.coordinator,
        )
        with self.assertRaisesMessage(MatchRefused, "Sol has no room: 1 of 1 places taken."):
            match_request_accept(request_id=self.to_sol.pk, mentor_user=self.sol.user)
        self.to_sol.refresh_from_db()
        self.assertEqual(self.to_sol.status, RequestStatus.OPEN)

    def test_declining_with_a_note_tells_the_mentee_with_the_note(self):
        with self.captureOnCommitCallbacks(execute=True):
            match_request_decline(
                request_id=self.to_marco.pk, mentor_user=self.p.mentor, note="I am full this term."
            )
        self.to_marco.refresh_from_db()
        self.assertEqual(self.to_marco.status, RequestStatus.DECLINED)
        self.assertEqual(self.to_marco.response_note, "I am full this term.")
        self.assertEqual([m.to for m in mail.outbox], [[self.p.mentee.email]])
        self.assertIn("I am full this term.", mail.outbox[0].body)
        notice = self.p.mentee.notifications.get(kind="request_declined")
        self.assertIn("I am full this term.", notice.text)
        self.assertFalse(Relationship.objects.exists())

    def test_a_declined_request_cannot_be_accepted_afterwards(self):
        match_request_decline(request_id=self.to_marco.pk, mentor_user=self.p.mentor)
        with self.assertRaisesMessage(MatchRefused, "declined already"):
            match_request_accept(request_id=self.to_marco.pk, mentor_user=self.p.mentor)
        self.assertFalse(Relationship.objects.exists())

    def test_the_mentee_withdraws_and_the_mentor_can_no_longer_accept(self):
        with self.captureOnCommitCallbacks(execute=True):
            match_request_withdraw(request_id=self.to_marco.pk, mentee_user=self.p.mentee)
        self.to_marco.refresh_from_db()
        self.assertEqual(self.to_marco.status, RequestStatus.WITHDRAWN)
        self.assertEqual(mail.outbox, [])
        with self.assertRaisesMessage(MatchRefused, "withdrawn already"):
            match_request_accept(request_id=self.to_marco.pk, mentor_user=self.p.mentor)

    def test_only_the_mentee_who_sent_it_can_withdraw(self):
        with self.assertRaisesMessage(MatchRefused, "This request is not open."):
            match_request_withdraw(request_id=self.to_marco.pk, mentee_user=self.p.mentor)
        self.to_marco.refresh_from_db()
        self.assertEqual(self.to_marco.status, RequestStatus.OPEN)


class SweepTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        _switch_on_self_matching(cls.p.program, request_reminder_days=5, request_expiry_days=9)
        cls.request = match_request_send(
            mentee=cls.p.mentee_participant, mentor=cls.p.mentor_participant, message="Hi"
        )
        mail.outbox.clear()

    def sweep(self):
        with self.captureOnCommitCallbacks(execute=True):
            return match_requests_sweep()

    def test_nothing_is_sent_before_the_reminder_is_due(self):
        _age(self.request, 4)
        self.assertEqual(self.sweep().reminded, 0)
        self.assertEqual(mail.outbox, [])

    def test_the_mentor_is_reminded_once_after_the_reminder_days(self):
        _age(self.request, 5)
        self.assertEqual(self.sweep().reminded, 1)
        self.assertEqual(self.sweep().reminded, 0)
        self.assertEqual([m.to for m in mail.outbox], [[self.p.mentor.email]])
        self.assertEqual(self.p.mentor.notifications.filter(kind="request_reminder").count(), 1)
        self.request.refresh_from_db()
        self.assertEqual(self.request.status, RequestStatus.OPEN)
        self.assertIsNotNone(self.request.reminded_at)

    def test_the_request_expires_once_after_the_expiry_days_and_the_mentee_is_told(self):
        _age(self.request, 5)
        self.sweep()
        _age(self.request, 9)
        result = self.sweep()
        self.assertEqual((result.reminded, result.expired), (0, 1))
        self.assertEqual(self.sweep().expired, 0)
        self.request.refresh_from_db()
        self.assertEqual(self.request.status, RequestStatus.EXPIRED)
        self.assertEqual(
            [m.to for m in mail.outbox], [[self.p.mentor.email], [self.p.mentee.email]]
        )
        self.assertIn("expired", mail.outbox[1].subject)
        with self.assertRaisesMessage(MatchRefused, "expired already"):
            match_request_accept(request_id=self.request.pk, mentor_user=self.p.mentor)

    def test_the_management_command_run_twice_sends_each_email_once(self):
        _age(self.request, 9)
        with self.captureOnCommitCallbacks(execute=True):
            call_command("process_match_requests", stdout=io.StringIO())
        with self.captureOnCommitCallbacks(execute=True):
            call_command("process_match_requests", stdout=io.StringIO())
        self.assertEqual([m.to for m in mail.outbox], [[self.p.mentee.email]])
        self.assertEqual(self.p.mentee.notifications.filter(kind="request_expired").count(), 1)

    def test_decided_requests_are_never_chased(self):
        match_request_decline(request_id=self.request.pk, mentor_user=self.p.mentor)
        mail.outbox.clear()
        _age(self.request, 30)
        result = self.sweep()
        self.assertEqual((result.reminded, result.expired), (0, 0))
        self.assertEqual(mail.outbox, [])


class Clock:
    """Stands in for `django.utils.timezone.now`, for this code and the task worker alike."""

    def __init__(self) -> None:
        self.moment = datetime.datetime.now(datetime.UTC)

    def __call__(self) -> datetime.datetime:
        return self.moment


class WorkerScheduleTests(TransactionTestCase):
    """With the database task backend and nothing but its worker running (no cron), requests
    are chased on time: the sweep is queued when a request is sent, for when it is due."""

    def setUp(self):
        self.enterContext(
            self.settings(
                TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
            )
        )
        self.clock = Clock()
        self.enterContext(mock.patch("django.utils.timezone.now", self.clock))
        self.p = make_personas()
        _switch_on_self_matching(self.p.program, request_reminder_days=5, request_expiry_days=9)

    def run_worker(self) -> None:
        run_task_worker()

    def sweeps(self):
        return DBTaskResult.objects.filter(
            task_path=tasks.sweep_match_requests.module_path
        ).order_by("run_after")

    def test_the_worker_reminds_once_when_due_and_expires_once_when_due(self):
        request = match_request_send(
            mentee=self.p.mentee_participant, mentor=self.p.mentor_participant, message="Hi"
        )
        sent_at = request.created_at
        self.assertEqual(
            [(s.run_after, s.args_kwargs["kwargs"]) for s in self.sweeps()],
            [
                (sent_at + datetime.timedelta(days=5), {"request_ids": [request.pk]}),
                (sent_at + datetime.timedelta(days=9), {"request_ids": [request.pk]}),
            ],
        )
        self.run_worker()  # delivers "request received"; the sweeps wait
        self.assertEqual(len(mail.outbox), 1)
        self.clock.moment = sent_at + datetime.timedelta(days=5, seconds=-1)
        self.run_worker()
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(self.sweeps().filter(status=TaskResultStatus.READY).count(), 2)

        self.clock.moment = sent_at + datetime.timedelta(days=5)
        self.run_worker()
        self.run_worker()
        call_command("process_match_requests", stdout=io.StringIO())  # cron as well: harmless
        self.run_worker()
        self.assertEqual(len(mail.outbox), 2)  # one reminder, however many runs
        self.assertEqual(mail.outbox[1].to, [self.p.mentor.email])
        self.assertIn("is waiting for your answer", mail.outbox[1].subject)
        self.assertEqual(self.p.mentor.notifications.filter(kind="request_reminder").count(), 1)
        request.refresh_from_db()
        self.assertEqual(request.status, RequestStatus.OPEN)

        self.clock.moment = sent_at + datetime.timedelta(days=9)
        self.run_worker()
        self.run_worker()
        self.assertEqual(len(mail.outbox), 3)
        self.assertEqual(mail.outbox[2].to, [self.p.mentee.email])
        self.assertIn("expired", mail.outbox[2].subject)
        request.refresh_from_db()
        self.assertEqual(request.status, RequestStatus.EXPIRED)
        self.assertEqual(
            set(DBTaskResult.objects.values_list("status", flat=True)),
            {TaskResultStatus.SUCCESSFUL},
        )

    def test_changing_the_days_chases_open_requests_at_the_new_times(self):
        request = match_request_send(
            mentee=self.p.mentee_participant, mentor=self.p.mentor_participant, message="Hi"
        )
        sent_at = request.created_at
        self.clock.moment = sent_at + datetime.timedelta(days=1)
        rules_update(
            program=self.p.program,
            fields={"request_reminder_days": 2, "request_expiry_days": 3},
            actor=self.p.coordinator,
        )
        # Queued again at the new times, rounded up to the hour.
        remind_at, expire_at = (s.run_after for s in self.sweeps()[:2])
        for queued, due in ((remind_at, 2), (expire_at, 3)):
            late = queued - (sent_at + datetime.timedelta(days=due))
            self.assertTrue(datetime.timedelta(0) <= late < datetime.timedelta(hours=1), late)
            self.assertEqual((queued.minute, queued.second, queued.microsecond), (0, 0, 0))
        self.run_worker()
        mail.outbox.clear()

        self.clock.moment = remind_at
        self.run_worker()
        self.assertEqual([m.to for m in mail.outbox], [[self.p.mentor.email]])
        self.clock.moment = expire_at
        self.run_worker()
        self.assertEqual(
            [m.to for m in mail.outbox], [[self.p.mentor.email], [self.p.mentee.email]]
        )
        request.refresh_from_db()
        self.assertEqual(request.status, RequestStatus.EXPIRED)

    def test_saving_the_rules_without_changing_the_days_queues_nothing(self):
        match_request_send(
            mentee=self.p.mentee_participant, mentor=self.p.mentor_participant, message="Hi"
        )
        rules_update(program=self.p.program, fields={"min_score": 0.2}, actor=self.p.coordinator)
        self.assertEqual(self.sweeps().count(), 2)

    def test_the_command_queues_requests_sent_before_the_worker_chased_them(self):
        request = MatchRequest.objects.create(
            program=self.p.program,
            mentee=self.p.mentee_participant,
            mentor=self.p.mentor_participant,
            message="Sent while cron did the chasing",
        )
        self.clock.moment = request.created_at + datetime.timedelta(days=6)
        out = io.StringIO()
        call_command("process_match_requests", "--schedule", stdout=out)
        self.assertIn("Reminded 1, expired 0.", out.getvalue())
        self.assertIn("Queued 1 sweep for the worker.", out.getvalue())
        (expiry,) = self.sweeps()  # reminded already: only its expiry is left to chase
        self.assertEqual(expiry.args_kwargs["kwargs"], {"request_ids": [request.pk]})
        self.clock.moment = expiry.run_after
        self.run_worker()
        request.refresh_from_db()
        self.assertEqual(request.status, RequestStatus.EXPIRED)


class AcceptRaceTests(TransactionTestCase):
    """Ten mentees' requests for a mentor's one remaining place, accepted at once: one wins."""

    def test_ten_concurrent_acceptances_for_one_place_create_one_relationship(self):
        p = make_personas()
        _switch_on_self_matching(p.program)
        mentor = p.mentor_participant  # capacity 2: Mia takes one place, one is left
        relationship_create(
            program=p.program,
            mentor=mentor,
            mentees=[p.mentee_participant],
            source=MatchSource.MANUAL,
            created_by=p.coordinator,
        )
        requests = [
            match_request_send(
                mentee=add_person(p.program, f"racer{i}@northwind.example"),
                mentor=mentor,
                message="Please",
            )
            for i in range(10)
        ]
        barrier = threading.Barrier(len(requests))
        outcomes: list[str] = []

        def accept(request_id: int) -> None:
            try:
                barrier.wait()
                match_request_accept(request_id=request_id, mentor_user=p.mentor)
                outcomes.append("accepted")
            except MatchRefused as refusal:
                outcomes.append(refusal.message)
            finally:
                connection.close()

        threads = [threading.Thread(target=accept, args=(r.pk,)) for r in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(outcomes.count("accepted"), 1, outcomes)
        self.assertEqual(
            outcomes.count("Marco Mentor has no room: 2 of 2 places taken."), 9, outcomes
        )
        self.assertEqual(
            RelationshipMember.objects.filter(participant=mentor, role=MemberRole.MENTOR).count(),
            2,
        )
        self.assertEqual(
            RelationshipMember.objects.filter(
                relationship__members__participant=mentor, role=MemberRole.MENTEE
            ).count(),
            2,
        )
        statuses = sorted(MatchRequest.objects.values_list("status", flat=True))
        self.assertEqual(statuses, [RequestStatus.ACCEPTED] + [RequestStatus.OPEN] * 9)


class MatchedElsewhereTests(TestCase):
    """A mentee the coordinator matches no longer waits on their self-match requests."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        _switch_on_self_matching(cls.p.program)
        cls.sol = add_mentor(cls.p.program, "sol@northwind.example", capacity=1)
        cls.request = match_request_send(
            mentee=cls.p.mentee_participant, mentor=cls.sol, message="Hi"
        )
        mail.outbox.clear()

    def test_a_manual_match_withdraws_the_mentees_open_requests_and_nobody_is_chased(self):
        from tandem.matching.services import manual_match_create

        with self.captureOnCommitCallbacks(execute=True):
            manual_match_create(
                program=self.p.program,
                mentee=self.p.mentee_participant,
                mentor=self.p.mentor_participant,
                actor=self.p.coordinator,
            )
        self.request.refresh_from_db()
        self.assertEqual(self.request.status, RequestStatus.WITHDRAWN)
        mail.outbox.clear()
        _age(self.request, 30)
        result = self.sweep()
        self.assertEqual((result.reminded, result.expired), (0, 0))
        self.assertEqual(mail.outbox, [])

    def test_an_approved_smart_match_withdraws_the_mentees_open_requests(self):
        from tandem.matching.models import DraftMatch, MatchRun, RunStatus
        from tandem.matching.services import draft_approve

        run = MatchRun.objects.create(
            program=self.p.program, created_by=self.p.coordinator, status=RunStatus.DONE
        )
        draft = DraftMatch.objects.create(
            run=run,
            mentee=self.p.mentee_participant,
            mentor=self.p.mentor_participant,
            score=0.5,
            reasons=[],
        )
        draft_approve(program=self.p.program, draft_id=draft.pk, actor=self.p.coordinator)
        self.request.refresh_from_db()
        self.assertEqual(self.request.status, RequestStatus.WITHDRAWN)

    def sweep(self):
        with self.captureOnCommitCallbacks(execute=True):
            return match_requests_sweep()
