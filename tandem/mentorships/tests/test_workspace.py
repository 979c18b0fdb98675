"""The workspace page: the time zone asked first, whose move it is, times in the viewer's zone,
read-only once concluded, 404 for other relationships, and a query count flat in sessions and
messages."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.core.testing import make_personas, make_user
from tandem.matching.tests.people import add_person
from tandem.mentorships.models import (
    Agenda,
    MemberRole,
    Message,
    RelationshipMember,
    RelationshipStatus,
    Session,
    SessionOption,
    SessionStatus,
)
from tandem.mentorships.sessions import agendas, proposing
from tandem.mentorships.tests.pairs import (
    DAY,
    HOUR,
    another_pair,
    mia_and_marco,
    next_week,
    relate,
    times,
)
from tandem.programs.models import AgendaTemplate, Format


class WorkspaceTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.relationship = mia_and_marco(cls.p)
        cls.template = AgendaTemplate.objects.create(
            program=cls.p.program, title="First session", moment="first", prompts=["Why me?"]
        )

    def page(self, user, url=None):
        self.client.force_login(user)
        return self.client.get(
            url or reverse("mentorships:relationship", args=[self.relationship.pk])
        )

    def propose(self, start, user=None):
        return proposing.session_propose(
            relationship_id=self.relationship.pk,
            user=user or self.p.mentee,
            options=times(start),
            place="Room 4",
        ).session

    def schedule(self, start):
        session = self.propose(start)
        proposing.session_pick(
            session_id=session.pk, user=self.p.mentor, option_id=session.options.get().pk
        )
        return session


class TimeZoneTests(WorkspaceTestCase):
    def test_the_time_zone_is_asked_on_first_use_and_an_unknown_one_is_refused(self):
        self.p.mentee.time_zone = ""
        self.p.mentee.save(update_fields=["time_zone"])
        workspace = reverse("mentorships:relationship", args=[self.relationship.pk])
        response = self.page(self.p.mentee)
        self.assertRedirects(response, f"{reverse('account')}?next={workspace.replace('/', '%2F')}")
        response = self.client.post(
            reverse("account"),
            {"full_name": "Mia Mentee", "time_zone": "Mars/Olympus_Mons", "next": workspace},
        )
        self.assertContains(response, "Your time zone: “Mars/Olympus_Mons” is not a time zone")
        self.p.mentee.refresh_from_db()
        self.assertEqual(self.p.mentee.time_zone, "")
        response = self.client.post(
            reverse("account"),
            {"full_name": "Mia Mentee", "time_zone": "Europe/Paris", "next": workspace},
        )
        self.assertRedirects(response, workspace)
        self.p.mentee.refresh_from_db()
        self.assertEqual(self.p.mentee.time_zone, "Europe/Paris")
        self.assertContains(self.client.get(workspace), "Schedule your first session")

    def test_each_viewer_sees_the_time_on_their_own_clock(self):
        self.p.mentee.time_zone = "America/New_York"
        self.p.mentee.save(update_fields=["time_zone"])
        self.p.mentor.time_zone = "Europe/Paris"
        self.p.mentor.save(update_fields=["time_zone"])
        start = datetime.datetime(2031, 7, 15, 15, 0, tzinfo=datetime.UTC)  # summer time
        session = self.schedule(start)
        url = reverse("mentorships:session", args=[session.pk])
        self.assertContains(self.page(self.p.mentee, url), "Tuesday 15 July 2031, 11:00")
        self.assertContains(self.page(self.p.mentor, url), "Tuesday 15 July 2031, 17:00")

    def test_a_proposal_is_entered_on_the_proposers_clock(self):
        self.p.mentee.time_zone = "Asia/Tokyo"
        self.p.mentee.save(update_fields=["time_zone"])
        self.client.force_login(self.p.mentee)
        url = reverse("mentorships:session_propose", args=[self.relationship.pk])
        form = {
            "date_1": "2031-03-03",
            "start_1": "09:00",
            "duration_1": "custom",
            "minutes_1": "50",
            "place": "Café",
            "idempotency_key": "k1",
        }
        response = self.client.post(url, form)
        session = Session.objects.get()
        self.assertRedirects(response, reverse("mentorships:session", args=[session.pk]))
        option = session.options.get()
        self.assertEqual(option.starts_at, datetime.datetime(2031, 3, 3, 0, 0, tzinfo=datetime.UTC))
        self.assertEqual(option.minutes, 50)
        # The same form again (a double click): still one session.
        self.client.post(url, form)
        self.assertEqual(Session.objects.count(), 1)

    def test_a_past_date_in_the_form_is_refused_on_its_field(self):
        self.client.force_login(self.p.mentee)
        url = reverse("mentorships:session_propose", args=[self.relationship.pk])
        response = self.client.post(
            url, {"date_1": "2020-01-01", "start_1": "10:00", "duration_1": "30"}
        )
        self.assertContains(response, "Date: Time 1 is in the past")
        response = self.client.post(url, {"date_1": "2031-01-01", "duration_1": "30"})
        self.assertContains(response, "Start time: This field is required.")
        self.assertFalse(Session.objects.exists())


class NextStepTests(WorkspaceTestCase):
    def test_the_mentee_is_prompted_first_and_the_mentor_once_she_acted(self):
        self.assertContains(self.page(self.p.mentee), "Schedule your first session")
        mentor_page = self.page(self.p.mentor)
        self.assertContains(mentor_page, "Mia Mentee leads: expect them to propose a time.")
        self.assertContains(mentor_page, "Nothing for you to do now")
        start = next_week() + 2 * DAY
        session = self.propose(start)
        self.assertContains(
            self.page(self.p.mentor), "Pick a time for the session Mia Mentee proposed"
        )
        self.assertContains(
            self.page(self.p.mentee), "Write the agenda for the session you proposed"
        )
        proposing.session_pick(
            session_id=session.pk, user=self.p.mentor, option_id=session.options.get().pk
        )
        day = f"{start:%a} {start.day} {start:%b}"
        self.assertContains(self.page(self.p.mentee), f"Send the agenda for {day}")
        self.assertContains(self.page(self.p.mentor), f"Next session: {day}.")
        agendas.agenda_save(
            session_id=session.pk,
            user=self.p.mentee,
            answers=["Because"],
            template_id=self.template.pk,
            send=True,
        )
        self.assertContains(self.page(self.p.mentor), f"Read the agenda for {day}")
        self.assertContains(self.page(self.p.mentee), "Agenda sent in time")

    def test_the_mentor_is_prompted_when_the_mentee_stalls(self):
        started = timezone.localdate() - datetime.timedelta(days=15)
        type(self.relationship).objects.filter(pk=self.relationship.pk).update(started_on=started)
        self.assertContains(self.page(self.p.mentor), "No session planned for 15 days")
        self.p.program.mentor_prompt_after_days = 30
        self.p.program.save(update_fields=["mentor_prompt_after_days"])
        self.assertNotContains(self.page(self.p.mentor), "No session planned for")

    def test_a_concluded_relationship_is_read_only_with_a_message(self):
        self.relationship.status = RelationshipStatus.CONCLUDED
        self.relationship.save(update_fields=["status"])
        response = self.page(self.p.mentee)
        self.assertContains(response, "This relationship has concluded")
        self.assertNotContains(response, "Propose a session")
        response = self.client.post(
            reverse("mentorships:session_propose", args=[self.relationship.pk]),
            {"date_1": "2031-01-01", "start_1": "10:00", "duration_1": "30"},
        )
        self.assertContains(response, "nothing new can be added")
        self.assertFalse(Session.objects.exists())


class OtherRelationshipTests(WorkspaceTestCase):
    def test_a_member_of_another_relationship_gets_404_everywhere(self):
        _, nia, nico = another_pair(self.p)
        session = self.schedule(next_week())
        Agenda.objects.create(session=session, prompts=["x"], answers=["y"])
        rid, sid = self.relationship.pk, session.pk
        post_only = {
            reverse("mentorships:session_pick", args=[sid]),
            reverse("mentorships:session_record", args=[sid]),
        }
        urls = [
            reverse("mentorships:relationship", args=[rid]),
            reverse("mentorships:session_propose", args=[rid]),
            reverse("mentorships:session_log", args=[rid]),
            reverse("mentorships:session", args=[sid]),
            reverse("mentorships:session_pick", args=[sid]),
            reverse("mentorships:session_decline", args=[sid]),
            reverse("mentorships:session_cancel", args=[sid]),
            reverse("mentorships:session_record", args=[sid]),
            reverse("mentorships:agenda", args=[sid]),
            reverse("mentorships:relationship_overview", args=[self.p.program.pk, rid]),
        ]
        for user in (nia, nico):
            self.client.force_login(user)
            for url in urls:
                methods = ("post",) if url in post_only else ("get", "post")
                for method in methods:
                    with self.subTest(user=user.email, url=url, method=method):
                        response = getattr(self.client, method)(url)
                        self.assertEqual(response.status_code, 404)

    def test_the_mentor_reads_the_agenda_but_cannot_write_it(self):
        session = self.schedule(next_week())
        url = reverse("mentorships:agenda", args=[session.pk])
        self.assertContains(self.page(self.p.mentor, url), "Not sent yet")
        self.assertEqual(self.client.post(url, {"answer_1": "Mine", "send": "1"}).status_code, 404)
        self.assertFalse(Agenda.objects.exists())

    def test_in_a_group_any_mentee_writes_the_agenda(self):
        ana = add_person(self.p.program, "ana@northwind.example", name="Ana Group")
        RelationshipMember.objects.create(
            relationship=self.relationship, participant=ana, role=MemberRole.MENTEE
        )
        session = self.schedule(next_week())
        self.client.force_login(ana.user)
        response = self.client.post(
            reverse("mentorships:agenda", args=[session.pk]),
            {"answer_1": "Our group's question", "send": "1"},
        )
        self.assertRedirects(response, reverse("mentorships:session", args=[session.pk]))
        self.assertEqual(Agenda.objects.get().sent_by, ana.user)


class WorkspaceQueryCountTests(WorkspaceTestCase):
    def add_sessions(self, count: int, offset: int) -> None:
        """`count` sessions of every kind: proposed with options, scheduled with an agenda
        sent, held, cancelled."""
        base = next_week() + datetime.timedelta(days=offset)
        for i in range(count):
            start = base + i * HOUR * 3
            status = [
                SessionStatus.PROPOSED,
                SessionStatus.SCHEDULED,
                SessionStatus.HELD,
                SessionStatus.CANCELLED,
            ][i % 4]
            timed = status != SessionStatus.PROPOSED
            session = Session.objects.create(
                relationship=self.relationship,
                status=status,
                starts_at=start if timed else None,
                ends_at=start + HOUR if timed else None,
                proposed_by=self.p.mentee,
                agenda_due_at=start - DAY if timed else None,
            )
            SessionOption.objects.create(session=session, starts_at=start, ends_at=start + HOUR)
            Agenda.objects.create(
                session=session, prompts=["a"], answers=["b"], sent_at=timezone.now()
            )
        # As many messages from each side (the workspace shows the latest few).
        members = list(RelationshipMember.objects.filter(relationship=self.relationship))
        Message.objects.bulk_create(
            Message(relationship=self.relationship, author=members[i % 2], body=f"Hello {i}")
            for i in range(count * 4)
        )

    def count_queries(self, user) -> int:
        self.client.force_login(user)
        url = reverse("mentorships:relationship", args=[self.relationship.pk])
        self.client.get(url)  # warm the session and caches
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        return len(queries)

    def test_the_workspace_query_count_does_not_grow_with_sessions_or_messages(self):
        self.add_sessions(8, offset=0)
        small = {user.pk: self.count_queries(user) for user in (self.p.mentee, self.p.mentor)}
        self.add_sessions(16, offset=30)
        large = {user.pk: self.count_queries(user) for user in (self.p.mentee, self.p.mentor)}
        self.assertEqual(small, large)
        # 1. the session  2. the user  3. the membership, with relationship and program
        # 4. the members with their people  5. the sessions to come, with their agendas
        # 6. their open options  7. the latest past sessions  8. how many past sessions
        # 9.-10. the partner's public answers and the questions  11. notices marked read
        # 12. the public questions behind "why you were matched"
        # 13. whether the user coordinates anywhere (the header's link)
        # 14. the unread notifications count (the header's Notifications link)
        # 15. the viewer's reflection on the latest session held (the reflection prompt)
        # 16. the goals shown to the viewer (none here, so no query for their tasks)
        # 17. the latest messages, with their authors
        # 18. how many messages there are, and how many the viewer has not read
        # 19. the milestones' facts (first session held, first goal, closing reflections,
        #     current members), as columns of one query
        # 20. the status history, with who changed it
        # 21. the closing reflections (the viewer's, and those shared with them)
        # 22. a pending ask to start again
        self.assertEqual(set(large.values()), {22})
        make_user("unused@northwind.example")  # more people in the program change nothing
        self.assertEqual(self.count_queries(self.p.mentee), large[self.p.mentee.pk])


class CoordinatorViewTests(WorkspaceTestCase):
    def test_the_participant_page_links_to_the_coordinators_view_of_the_relationship(self):
        self.client.force_login(self.p.coordinator)
        page = self.client.get(
            reverse("programs:participant", args=[self.p.program.pk, self.p.mentee_participant.pk])
        )
        overview = reverse(
            "mentorships:relationship_overview", args=[self.p.program.pk, self.relationship.pk]
        )
        self.assertContains(page, f'href="{overview}"')
        self.assertContains(page, "With Marco Mentor")
        session = self.schedule(next_week())
        agendas.agenda_save(
            session_id=session.pk,
            user=self.p.mentee,
            answers=["Private words"],
            template_id=self.template.pk,
            send=True,
        )
        response = self.client.get(overview)
        self.assertContains(response, "Scheduled")
        self.assertContains(response, "<td>Yes</td>", html=True)
        self.assertNotContains(response, "Private words")
        self.assertNotContains(response, "Room 4")
        member_page = self.page(self.p.mentor, reverse("mentorships:session", args=[session.pk]))
        self.assertContains(member_page, "Room 4")  # what the coordinator does not see


class SessionFormTests(WorkspaceTestCase):
    def test_decline_with_other_times_then_cancel_with_a_reason(self):
        start = next_week()
        session = self.propose(start)
        self.client.force_login(self.p.mentor)
        decline = reverse("mentorships:session_decline", args=[session.pk])
        response = self.client.post(
            decline, {"note": "", "date_1": "2031-02-03", "date_2": "2031-02-04"}
        )
        self.assertContains(response, "Why these times do not work: This field is required.")
        self.assertContains(response, "Start time: This field is required.")
        self.assertContains(response, "Start time: Give both the date and the start time.")
        response = self.client.post(
            decline,
            {
                "note": "Away that week",
                "date_1": "2031-02-03",
                "start_1": "08:30",
                "duration_1": "30",
            },
        )
        self.assertRedirects(response, reverse("mentorships:session", args=[session.pk]))
        session.refresh_from_db()
        self.assertEqual(session.proposed_by, self.p.mentor)
        page = self.page(self.p.mentee, reverse("mentorships:session", args=[session.pk]))
        self.assertContains(page, "Away that week")
        self.assertContains(page, "Monday 3 February 2031, 08:30 (30 minutes)")
        cancel = reverse("mentorships:session_cancel", args=[session.pk])
        self.assertContains(
            self.client.post(cancel, {"reason": ""}),
            "Why is it cancelled?: This field is required.",
        )
        self.client.post(cancel, {"reason": "Changed my mind"})
        session.refresh_from_db()
        self.assertEqual(session.status, SessionStatus.CANCELLED)

    def test_an_overlapping_time_is_proposed_with_a_warning(self):
        start = datetime.datetime(2031, 5, 5, 9, 0, tzinfo=datetime.UTC)
        other, _, _ = another_pair(self.p)
        RelationshipMember.objects.create(
            relationship=other, participant=self.p.mentee_participant, role=MemberRole.MENTEE
        )
        Session.objects.create(
            relationship=other,
            status=SessionStatus.SCHEDULED,
            starts_at=start,
            ends_at=start + HOUR,
        )
        self.client.force_login(self.p.mentee)
        response = self.client.post(
            reverse("mentorships:session_propose", args=[self.relationship.pk]),
            {
                "date_1": "2031-05-05",
                "start_1": "09:30",
                "duration_1": "60",
                "idempotency_key": "x",
            },
            follow=True,
        )
        self.assertContains(response, "overlaps another session of yours")
        self.assertEqual(Session.objects.filter(relationship=self.relationship).count(), 1)

    def test_held_once_started_through_the_page(self):
        session = self.schedule(next_week())
        Session.objects.filter(pk=session.pk).update(
            starts_at=timezone.now() - 2 * HOUR, ends_at=timezone.now() - HOUR
        )
        self.client.force_login(self.p.mentor)
        url = reverse("mentorships:session", args=[session.pk])
        self.assertContains(self.client.get(url), "Did it take place?")
        self.assertContains(
            self.client.get(reverse("mentorships:relationship", args=[self.relationship.pk])),
            "take place? Say so",
        )
        self.client.post(
            reverse("mentorships:session_record", args=[session.pk]), {"outcome": "held"}
        )
        session.refresh_from_db()
        self.assertEqual(session.status, SessionStatus.HELD)
        self.assertContains(self.page(self.p.mentee), "Schedule your next session")


class PeerCircleTests(TestCase):
    """In a peer circle every member leads: any of them proposes, writes and sends the agenda,
    and any other picks the time."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        program = cls.p.program
        program.format = Format.PEER
        program.save(update_fields=["format"])
        cls.peers = [
            add_person(program, f"peer{i}@northwind.example", name=f"Peer {i}") for i in range(3)
        ]
        cls.circle = relate(cls.peers[0], None, *cls.peers[1:])

    def test_any_peer_acts(self):
        first, second, third = (peer.user for peer in self.peers)
        page = reverse("mentorships:relationship", args=[self.circle.pk])
        for user in (first, second, third):
            self.client.force_login(user)
            self.assertContains(self.client.get(page), "Schedule your first session")
        session = proposing.session_propose(
            relationship_id=self.circle.pk, user=second, options=times(next_week())
        ).session
        agendas.agenda_save(session_id=session.pk, user=third, answers=["Circle topic"], send=True)
        proposing.session_pick(
            session_id=session.pk, user=first, option_id=session.options.get().pk
        )
        session.refresh_from_db()
        self.assertEqual(session.status, SessionStatus.SCHEDULED)
        self.assertEqual(Agenda.objects.get().sent_by, third)
        self.client.force_login(second)
        self.assertContains(self.client.get(page), "your agenda is sent")
