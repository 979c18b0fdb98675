"""Smart-match runs in the product: snapshot, background execution, drafts, approval, races."""

import datetime
import re
import threading
from unittest import mock

from django.core import mail
from django.db import connection
from django.test import TestCase, TransactionTestCase
from django.urls import reverse

from tandem.core.testing import make_personas, make_user
from tandem.matching import services
from tandem.matching.models import DraftMatch, DraftStatus, MatchRun, RunStatus
from tandem.matching.problems import Segment, build_problem, rules_for
from tandem.mentorships.models import Relationship
from tandem.mentorships.selectors import reasons_shown_to_members
from tandem.mentorships.services import MatchRefused
from tandem.programs.models import (
    Answer,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Visibility,
)


def add_person(program, email, role, department, capacity=None):
    participant = Participant.objects.create(
        program=program,
        user=make_user(email, email.split("@")[0].title()),
        role=role,
        status=ParticipantStatus.JOINED,
        capacity=capacity,
    )
    question = program.questions.get(slug="department")
    Answer.objects.create(participant=participant, question=question, value=department)
    return participant


def same_department_rule(program, actor, required=True):
    return services.criterion_create(
        program=program,
        actor=actor,
        name="Same department",
        type="same",
        mentee_attribute="department",
        mentor_attribute="department",
        weight=1,
        required=required,
    )


class RunTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        # Mia (mentee) answered Sales; Marco (mentor, capacity 2) answered Engineering.
        cls.sales_mentor = add_person(
            cls.p.program, "sol@northwind.example", ParticipantRole.MENTOR, "Sales", capacity=1
        )

    def start(self, **segment):
        with self.captureOnCommitCallbacks(execute=True):
            return services.match_run_start(
                program=self.p.program, started_by=self.p.coordinator, segment=Segment(**segment)
            )

    def test_a_run_with_no_rules_ends_with_an_explanation(self):
        run = self.start()
        run.refresh_from_db()
        self.assertEqual(run.status, RunStatus.FAILED)
        self.assertIn("Add at least one matching rule", run.error)
        self.assertFalse(run.drafts.exists())

    def test_a_run_proposes_drafts_that_satisfy_the_required_rule(self):
        same_department_rule(self.p.program, self.p.coordinator)
        run = self.start()
        run.refresh_from_db()
        self.assertEqual(run.status, RunStatus.DONE, run.error)
        pairs = list(run.drafts.values_list("mentee_id", "mentor_id"))
        self.assertEqual(pairs, [(self.p.mentee_participant.pk, self.sales_mentor.pk)])
        draft = run.drafts.get()
        self.assertEqual(draft.status, DraftStatus.PROPOSED)
        self.assertEqual(draft.reasons[0]["criterion"], "Same department")
        self.assertEqual(run.stats["matched"], 1)

    def test_a_parsed_snapshot_is_kept_per_run_and_read_again_for_a_new_one(self):
        same_department_rule(self.p.program, self.p.coordinator)
        run = self.start()
        started = run.created_at
        kept = services.run_snapshot(run)
        self.assertIs(services.run_snapshot(run), kept)
        self.assertEqual(kept.capacity, {m["id"]: m["capacity"] for m in run.problem["mentors"]})
        # The same id with another creation time (SQLite reuses the newest run's id once it is
        # deleted) is another run: its own snapshot is read.
        MatchRun.objects.filter(pk=run.pk).update(problem={**run.problem, "mentors": []})
        run.created_at = started + datetime.timedelta(seconds=1)
        self.assertEqual(services.run_snapshot(run).capacity, {})
        self.assertIs(services.run_snapshot(run.__class__(pk=run.pk, created_at=started)), kept)
        # Only the newest few are kept: after as many other runs, the first is read again.
        for later in range(2, 2 + services.SNAPSHOTS_KEPT):
            run.created_at = started + datetime.timedelta(seconds=later)
            services.run_snapshot(run)
        run.created_at = started
        self.assertEqual(services.run_snapshot(run).capacity, {})

    def test_nobody_is_told_about_drafts_or_a_dismissed_draft(self):
        same_department_rule(self.p.program, self.p.coordinator)
        run = self.start()
        draft = run.drafts.get()
        with self.captureOnCommitCallbacks(execute=True):
            services.draft_dismiss(
                program=self.p.program, draft_id=draft.pk, actor=self.p.coordinator
            )
        self.assertEqual(mail.outbox, [])
        self.assertFalse(self.p.mentee.notifications.exists())
        draft.refresh_from_db()
        self.assertEqual(draft.status, DraftStatus.DISMISSED)

    def test_every_pair_excluded_ends_done_with_the_reason(self):
        services.criterion_create(
            program=self.p.program,
            actor=self.p.coordinator,
            name="Same gender",
            type="same",
            mentee_attribute="gender",
            mentor_attribute="gender",
            required=True,
        )
        run = self.start()
        run.refresh_from_db()
        self.assertEqual(run.status, RunStatus.DONE)
        self.assertFalse(run.drafts.exists())
        self.assertIn("Same gender", run.error)

    def test_editing_rules_after_the_start_does_not_change_the_run(self):
        criterion = same_department_rule(self.p.program, self.p.coordinator)
        # Without executing the on-commit callbacks, the run stays queued for a worker.
        run = services.match_run_start(
            program=self.p.program, started_by=self.p.coordinator, segment=Segment()
        )
        criterion.delete()  # the coordinator changes the rules while the run waits
        services.match_run_execute(run_id=run.pk)
        run.refresh_from_db()
        self.assertEqual(run.problem["criteria"][0]["name"], "Same department")
        self.assertEqual(run.drafts.count(), 1)

    def test_a_run_that_dies_midway_publishes_nothing_and_can_run_again(self):
        same_department_rule(self.p.program, self.p.coordinator)
        # Without executing the on-commit callbacks, the run stays queued for a worker.
        run = services.match_run_start(
            program=self.p.program, started_by=self.p.coordinator, segment=Segment()
        )
        killed = mock.patch.object(
            DraftMatch.objects, "bulk_create", side_effect=RuntimeError("worker killed")
        )
        with killed, self.assertRaises(RuntimeError):
            services.match_run_execute(run_id=run.pk)
        self.assertFalse(DraftMatch.objects.filter(run=run).exists())
        run.refresh_from_db()
        self.assertEqual(run.status, RunStatus.RUNNING)  # the worker died: nothing marked done
        # While it looks alive, a second run is refused; once stale, a new run goes ahead.
        with self.assertRaises(services.RunRefused):
            self.start()
        stale = run.created_at - services.RUN_STALE_AFTER * 2
        MatchRun.objects.filter(pk=run.pk).update(created_at=stale)
        again = self.start()
        again.refresh_from_db()
        self.assertEqual(again.status, RunStatus.DONE)
        run.refresh_from_db()
        self.assertEqual(run.status, RunStatus.FAILED)
        self.assertIn("stopped before finishing", run.error)

    def test_unmatched_segment_leaves_out_matched_mentees_and_full_mentors(self):
        same_department_rule(self.p.program, self.p.coordinator)
        run = self.start()
        services.draft_approve(
            program=self.p.program, draft_id=run.drafts.get().pk, actor=self.p.coordinator
        )
        problem = build_problem(self.p.program, rules_for(self.p.program), Segment())
        mentee_ids = {m["id"] for m in problem["mentees"]}
        capacities = {m["id"]: m["capacity"] for m in problem["mentors"]}
        self.assertNotIn(str(self.p.mentee_participant.pk), mentee_ids)
        self.assertEqual(capacities[str(self.sales_mentor.pk)], 0)
        whole = build_problem(self.p.program, rules_for(self.p.program), Segment(scope="all"))
        self.assertIn(str(self.p.mentee_participant.pk), {m["id"] for m in whole["mentees"]})

    def test_approval_creates_the_relationship_and_tells_both_sides(self):
        same_department_rule(self.p.program, self.p.coordinator)
        run = self.start()
        draft = run.drafts.get()
        with self.captureOnCommitCallbacks(execute=True):
            relationship = services.draft_approve(
                program=self.p.program, draft_id=draft.pk, actor=self.p.coordinator
            )
        draft.refresh_from_db()
        self.assertEqual(draft.status, DraftStatus.APPROVED)
        self.assertEqual(draft.relationship, relationship)
        self.assertEqual(
            sorted(m.to[0] for m in mail.outbox),
            sorted([self.p.mentee.email, "sol@northwind.example"]),
        )
        with self.assertRaisesMessage(MatchRefused, "approved this match already"):
            services.draft_approve(program=self.p.program, draft_id=draft.pk, actor=self.p.admin)
        self.assertEqual(Relationship.objects.count(), 1)

    def test_reasons_from_private_answers_are_hidden_from_the_matched_people(self):
        same_department_rule(self.p.program, self.p.coordinator)
        services.criterion_create(
            program=self.p.program,
            actor=self.p.coordinator,
            name="Gender balance",
            type="same",
            mentee_attribute="gender",
            mentor_attribute="gender",
            weight=1,
        )
        run = self.start()
        relationship = services.draft_approve(
            program=self.p.program, draft_id=run.drafts.get().pk, actor=self.p.coordinator
        )
        reads = {r["criterion"]: r["reads"] for r in relationship.reasons}
        self.assertEqual(reads, {"Same department": ["department"], "Gender balance": ["gender"]})
        shown = [r["criterion"] for r in reasons_shown_to_members(relationship)]
        self.assertEqual(shown, ["Same department"])  # gender is a private question

    def test_why_you_were_matched_follows_the_questions_visibility_when_shown(self):
        same_department_rule(self.p.program, self.p.coordinator)
        run = self.start()
        relationship = services.draft_approve(
            program=self.p.program, draft_id=run.drafts.get().pk, actor=self.p.coordinator
        )
        url = reverse("mentorships:relationship", args=[relationship.pk])
        self.client.force_login(self.p.mentee)
        self.assertContains(self.client.get(url), "<strong>Same department</strong>")
        # The coordinator makes the question private after the match: its reason goes at once.
        self.p.q_department.visibility = Visibility.PRIVATE
        self.p.q_department.save(update_fields=["visibility"])
        self.assertNotContains(self.client.get(url), "Same department")
        self.client.force_login(self.sales_mentor.user)
        self.assertNotContains(self.client.get(url), "Same department")
        # And back: public again, shown again.
        self.p.q_department.visibility = Visibility.PUBLIC
        self.p.q_department.save(update_fields=["visibility"])
        self.assertContains(self.client.get(url), "<strong>Same department</strong>")

    def test_approving_a_draft_whose_mentor_left_is_refused(self):
        same_department_rule(self.p.program, self.p.coordinator)
        run = self.start()
        Participant.objects.filter(pk=self.sales_mentor.pk).update(
            status=ParticipantStatus.WITHDRAWN
        )
        with self.assertRaisesMessage(MatchRefused, "not in the program now"):
            services.draft_approve(
                program=self.p.program, draft_id=run.drafts.get().pk, actor=self.p.coordinator
            )
        self.assertFalse(Relationship.objects.exists())
        self.assertEqual(run.drafts.get().status, DraftStatus.PROPOSED)


class ApprovalRaceTests(TransactionTestCase):
    def test_two_coordinators_approving_one_draft_create_one_relationship(self):
        p = make_personas()
        mentor = add_person(p.program, "sol@northwind.example", ParticipantRole.MENTOR, "Sales", 1)
        same_department_rule(p.program, p.coordinator)
        run = services.match_run_start(
            program=p.program, started_by=p.coordinator, segment=Segment()
        )
        services.match_run_execute(run_id=run.pk)
        draft = DraftMatch.objects.get(run=run, mentor=mentor)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def approve(actor):
            try:
                barrier.wait()
                services.draft_approve(program=p.program, draft_id=draft.pk, actor=actor)
                outcomes.append("approved")
            except MatchRefused as refusal:
                outcomes.append(refusal.code)
            finally:
                connection.close()

        threads = [threading.Thread(target=approve, args=(u,)) for u in (p.coordinator, p.admin)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(sorted(outcomes), ["already_approved", "approved"])
        self.assertEqual(Relationship.objects.count(), 1)


class PeerAndGroupRunTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_a_peer_program_forms_pairs_that_become_peer_relationships(self):
        from tandem.mentorships.models import MemberRole
        from tandem.programs.models import Format

        program = self.p.other_program
        program.format = Format.PEER
        program.save(update_fields=["format"])
        department = program.questions.create(
            slug="department",
            label="Department",
            kind="single_choice",
            choices=["Sales", "Legal"],
        )
        peers = {}
        for name, answer in [
            ("ann", "Sales"),
            ("bob", "Legal"),
            ("cat", "Sales"),
            ("dan", "Legal"),
        ]:
            peers[name] = Participant.objects.create(
                program=program,
                user=make_user(f"{name}@northwind.example", name.title()),
                role=ParticipantRole.BOTH,
                status=ParticipantStatus.JOINED,
            )
            Answer.objects.create(participant=peers[name], question=department, value=answer)
        services.criterion_create(
            program=program,
            actor=self.p.other_coordinator,
            name="Same department",
            type="same",
            mentee_attribute="department",
            mentor_attribute="department",
            required=True,
        )
        with self.captureOnCommitCallbacks(execute=True):
            run = services.match_run_start(
                program=program, started_by=self.p.other_coordinator, segment=Segment()
            )
        run.refresh_from_db()
        self.assertEqual(run.status, RunStatus.DONE, run.error)
        # The run's summary counts peers, not mentees and mentors it does not have.
        self.client.force_login(self.p.other_coordinator)
        page = self.client.get(reverse("matching:run", args=[program.pk, run.pk]))
        summary = " ".join(re.sub(r"<[^>]+>", " ", page.content.decode()).split())
        self.assertIn("2 peer groups formed from 4 participants; 2 allowed pairs", summary)
        self.assertNotIn("mentees and", summary)
        groups = sorted(sorted(d.peers) for d in run.drafts.all())
        expected = sorted(
            [sorted([peers["ann"].pk, peers["cat"].pk]), sorted([peers["bob"].pk, peers["dan"].pk])]
        )
        self.assertEqual(groups, expected)
        draft = next(d for d in run.drafts.all() if peers["ann"].pk in d.peers)
        relationship = services.draft_approve(
            program=program, draft_id=draft.pk, actor=self.p.other_coordinator
        )
        self.assertEqual(
            sorted(relationship.members.values_list("participant_id", "role")),
            sorted([(peers["ann"].pk, MemberRole.PEER), (peers["cat"].pk, MemberRole.PEER)]),
        )
        # Ann and Cat are matched now: the next unmatched run leaves them out.
        problem = build_problem(program, rules_for(program), Segment())
        self.assertEqual(
            {p["id"] for p in problem["participants"]}, {str(peers["bob"].pk), str(peers["dan"].pk)}
        )


class RepeatedPairRuleTests(TestCase):
    """The same rule twice is one rule (MATCHING.md), in the product as in the engine."""

    @classmethod
    def setUpTestData(cls):
        from tandem.programs.models import Format

        cls.p = make_personas()
        cls.program = cls.p.other_program
        cls.program.format = Format.PEER
        cls.program.save(update_fields=["format"])
        cls.program.questions.create(
            slug="department", label="Department", kind="single_choice", choices=["Sales"]
        )
        cls.peers = [
            add_person(cls.program, f"{name}@northwind.example", ParticipantRole.BOTH, "Sales")
            for name in ("ann", "bob", "cat", "dan")
        ]
        same_department_rule(cls.program, cls.p.other_coordinator)

    def set_rule(self, mentee, mentor, kind):
        return services.pair_rule_set(
            program=self.program,
            mentee=mentee,
            mentor=mentor,
            kind=kind,
            actor=self.p.other_coordinator,
        )

    def test_peers_named_in_the_other_order_replace_their_rule(self):
        from tandem.matching.models import PairRule, PairRuleKind

        ann, bob = self.peers[:2]
        self.set_rule(ann, bob, PairRuleKind.PINNED)
        self.set_rule(bob, ann, PairRuleKind.FORBIDDEN)
        rules = PairRule.objects.filter(rules__program=self.program)
        self.assertEqual(
            list(rules.values_list("mentee_id", "mentor_id", "kind")),
            [(bob.pk, ann.pk, PairRuleKind.FORBIDDEN)],
        )

    def test_a_pair_the_problem_repeats_runs_once_and_the_run_page_says_so(self):
        from tandem.matching.models import PairRule, PairRuleKind

        ann, bob = self.peers[:2]
        # Rows from before peers' rules were one per pair: (ann, bob) and (bob, ann).
        rules = rules_for(self.program)
        for a, b in ((ann, bob), (bob, ann)):
            PairRule.objects.create(rules=rules, mentee=a, mentor=b, kind=PairRuleKind.FORBIDDEN)
        with self.captureOnCommitCallbacks(execute=True):
            run = services.match_run_start(
                program=self.program, started_by=self.p.other_coordinator, segment=Segment()
            )
        run.refresh_from_db()
        self.assertEqual(run.status, RunStatus.DONE, run.error)
        self.assertNotIn(sorted([ann.pk, bob.pk]), [sorted(d.peers) for d in run.drafts.all()])
        self.assertEqual(
            run.warnings, ["forbidden[1]: the same pair as forbidden[0], counted once"]
        )
        self.client.force_login(self.p.other_coordinator)
        page = self.client.get(reverse("matching:run", args=[self.program.pk, run.pk]))
        self.assertContains(page, "forbidden[1]: the same pair as forbidden[0], counted once")
