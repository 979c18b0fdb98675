"""The access matrix: every URL pattern of the project x every persona, with the expected status.

The table below is written from the product rules (PRODUCT.md, STYLE.md), not from what the code
returns: anything outside a person's reach is a 404, so a page never tells an outsider, a
participant or the coordinator of another program that an object exists. A URL pattern missing
from the table fails the suite, so a new view cannot escape the matrix.

Each request runs in a savepoint that is rolled back, so a POST by one persona (a withdrawal, a
move) cannot change what the next persona sees.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.http import HttpResponse
from django.test import Client, TestCase
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tandem.accounts.models import User
from tandem.accounts.verification import verification_token
from tandem.core.testing import (
    make_goal_fixture,
    make_matching_fixture,
    make_personas,
    make_user,
)
from tandem.mentorships.models import CalendarFeed, Session, SessionStatus
from tandem.mentorships.tests.pairs import make_session_fixture
from tandem.organizations.models import CoordinatorInvitation, Membership, Role
from tandem.programs.models import Participant, ParticipantRole, ParticipantStatus, Question
from tandem.support.models import Category, CheckIn, SupportRequest

PERSONAS = (
    "anonymous",
    "outsider",
    "mentee",
    "mentor",
    "other_coordinator",
    "coordinator",
    "admin",
)


@dataclass(frozen=True)
class Go:
    """A 302 to the named URL; `args` name the persona objects' ids it takes (program_id…)."""

    name: str
    args: tuple[str, ...] = ()
    with_next: bool = False  # the login page, with ?next= leading back to the page asked for

    def path(self, kwargs: dict[str, Any]) -> str:
        return reverse(self.name, kwargs={a: kwargs[a] for a in self.args})


LOGIN = Go("login", with_next=True)  # anonymous visitors are sent to log in
HOME = Go("home")
TO_GUIDELINES = Go("programs:join_guidelines", ("program_id",))  # the first step of joining
TO_SESSION = Go("mentorships:session", ("session_id",))
TO_WORKSPACE = Go("mentorships:relationship", ("relationship_id",))
TO_SUPPORT_REQUEST = Go("support:request", ("program_id", "support_id"))
OK, REFUSED, NOT_FOUND, NOT_ALLOWED = 200, 403, 404, 405
Outcome = int | Go

# What a participant-only page gives: the person's own page, 404 for everyone else.
PARTICIPANT_ONLY: tuple[Outcome, ...] = (LOGIN, 404, OK, OK, 404, 404, 404)
# What a coordinator page of the program gives: its coordinators and the org admin only.
COORDINATOR_ONLY: tuple[Outcome, ...] = (LOGIN, 404, 404, 404, 404, OK, OK)


def _coordinator_only(then: Outcome) -> tuple[Outcome, ...]:
    return (LOGIN, 404, 404, 404, 404, then, then)


# URL name → (method, outcome per persona in PERSONAS order).
# GET pages are fetched; FORM pages (GET and POST) are fetched, and also POSTed to (empty) by
# every persona who may not use them, which must get the same refusal; POST-only views are
# POSTed to (empty) and must refuse a GET with 405.
MATRIX: dict[str, tuple[str, tuple[Outcome, ...]]] = {
    # --- Accounts: public pages; logged-in visitors are sent on -----------------------------
    #                           anonymous outsider mentee mentor other_coord coordinator admin
    "home": ("GET", (LOGIN, OK, OK, OK, OK, OK, OK)),
    "login": ("FORM", (OK, HOME, HOME, HOME, HOME, HOME, HOME)),
    "logout": ("POST", (Go("login"),) * 7),
    "signup": ("FORM", (OK, HOME, HOME, HOME, HOME, HOME, HOME)),
    "signup_sent": ("GET", (OK, OK, OK, OK, OK, OK, OK)),
    "verification_resend": ("FORM", (OK, OK, OK, OK, OK, OK, OK)),
    # A valid verification link (Una's, who signed up and has not verified) shows its button
    # to whoever holds it; pressing it is tested in test_verification.
    "verify_email": ("FORM", (OK, OK, OK, OK, OK, OK, OK)),
    "account": ("FORM", (LOGIN, OK, OK, OK, OK, OK, OK)),
    "password_change": ("FORM", (LOGIN, OK, OK, OK, OK, OK, OK)),
    "notifications": ("GET", (LOGIN, OK, OK, OK, OK, OK, OK)),
    "notifications_read": ("POST", (Go("login", with_next=True), *(Go("notifications"),) * 6)),
    "notification_settings": ("FORM", (LOGIN, OK, OK, OK, OK, OK, OK)),
    "password_change_done": ("GET", (LOGIN, OK, OK, OK, OK, OK, OK)),
    "password_reset": ("FORM", (OK, OK, OK, OK, OK, OK, OK)),
    "password_reset_done": ("GET", (OK, OK, OK, OK, OK, OK, OK)),
    # A valid reset link (Ivy's) moves its token into the session and redirects, whoever opens it.
    "password_reset_confirm": ("GET", (Go("password_reset_confirm", ("uidb64",)),) * 7),
    "password_reset_complete": ("GET", (OK, OK, OK, OK, OK, OK, OK)),
    # --- Organizations: members and coordinators are the org admin's only -------------------
    "organizations:members": ("FORM", (LOGIN, 404, 404, 404, 404, 404, OK)),
    "organizations:member_role": (
        "POST",
        (LOGIN, 404, 404, 404, 404, 404, Go("organizations:members", ("organization_id",))),
    ),
    # The token is the secret: whoever holds it sees the invitation; accepting checks the
    # account (tested in test_members).
    # The token is the secret, but it is personal: anyone signed in as another address is told
    # so (403), and cannot accept it.
    "organizations:accept_invitation": ("FORM", (OK, 403, 403, 403, 403, 403, 403)),
    # Signing up from the invitation: for visitors; anyone signed in goes on to accept it.
    "organizations:invitation_signup": (
        "FORM",
        (OK, *(Go("organizations:accept_invitation", ("token",)),) * 6),
    ),
    # --- Programs: coordinator pages ---------------------------------------------------------
    "programs:list": ("GET", (LOGIN, OK, OK, OK, OK, OK, OK)),
    # Anyone who coordinates in some organization may create a program there (the outsider
    # administers Globex); plain members may not.
    "programs:create": ("FORM", (LOGIN, OK, 404, 404, OK, OK, OK)),
    "programs:overview": ("GET", COORDINATOR_ONLY),
    "programs:edit": ("FORM", COORDINATOR_ONLY),
    "programs:status": ("POST", _coordinator_only(Go("programs:overview", ("program_id",)))),
    "programs:questions": ("FORM", COORDINATOR_ONLY),
    "programs:question_edit": ("FORM", COORDINATOR_ONLY),
    "programs:question_delete": (
        "POST",
        _coordinator_only(Go("programs:questions", ("program_id",))),
    ),
    "programs:question_move": (
        "POST",
        _coordinator_only(Go("programs:questions", ("program_id",))),
    ),
    "programs:pathways": ("FORM", COORDINATOR_ONLY),
    "programs:pathway_edit": ("FORM", COORDINATOR_ONLY),
    "programs:pathway_delete": (
        "POST",
        _coordinator_only(Go("programs:pathways", ("program_id",))),
    ),
    "programs:pathway_move": ("POST", _coordinator_only(Go("programs:pathways", ("program_id",)))),
    "programs:agenda_templates": ("FORM", COORDINATOR_ONLY),
    "programs:agenda_template_edit": ("FORM", COORDINATOR_ONLY),
    "programs:agenda_template_delete": (
        "POST",
        _coordinator_only(Go("programs:agenda_templates", ("program_id",))),
    ),
    "programs:agenda_template_move": (
        "POST",
        _coordinator_only(Go("programs:agenda_templates", ("program_id",))),
    ),
    "programs:coordinators": ("FORM", COORDINATOR_ONLY),
    "programs:invitations": ("FORM", COORDINATOR_ONLY),
    "programs:import": ("FORM", COORDINATOR_ONLY),
    "programs:participants": ("GET", COORDINATOR_ONLY),
    "programs:participant": ("GET", COORDINATOR_ONLY),
    # --- Joining -----------------------------------------------------------------------------
    # The open invite link: a welcome page, or on to the guidelines; people already in the
    # program get a page that says so.
    "programs:join_link": (
        "GET",
        (OK, TO_GUIDELINES, OK, OK, TO_GUIDELINES, TO_GUIDELINES, TO_GUIDELINES),
    ),
    # A personal invitation (for Ivy): anonymous visitors claim the account; anyone else signed
    # in is told it is not theirs.
    "programs:join_invitation": ("FORM", (OK, 403, 403, 403, 403, 403, 403)),
    # The join steps need the invite link or an invitation in hand: without one, 404.
    "programs:join_guidelines": ("FORM", (LOGIN, 404, 404, 404, 404, 404, 404)),
    "programs:join_role": ("FORM", (LOGIN, 404, 404, 404, 404, 404, 404)),
    "programs:join_answers": ("FORM", (LOGIN, 404, 404, 404, 404, 404, 404)),
    "programs:join_done": ("GET", PARTICIPANT_ONLY),
    # --- A participant's own pages -----------------------------------------------------------
    "programs:my_program": ("GET", PARTICIPANT_ONLY),
    "programs:my_profile": ("FORM", PARTICIPANT_ONLY),
    "programs:support": ("GET", PARTICIPANT_ONLY),
    "programs:mentor_guidance": ("GET", PARTICIPANT_ONLY),
    # A confirmation page; an empty POST (no confirmation ticked) withdraws nobody.
    "programs:withdraw": ("FORM", PARTICIPANT_ONLY),
    # --- Matching: the coordinator's pages; a mentor or mentee never sees drafts or runs -----
    "matching:rules": ("FORM", COORDINATOR_ONLY),
    "matching:rules_preview": ("GET", COORDINATOR_ONLY),
    "matching:criterion_edit": ("FORM", COORDINATOR_ONLY),
    "matching:criterion_delete": ("POST", _coordinator_only(Go("matching:rules", ("program_id",)))),
    "matching:pair_rule_create": ("POST", _coordinator_only(Go("matching:rules", ("program_id",)))),
    "matching:pair_rule_delete": ("POST", _coordinator_only(Go("matching:rules", ("program_id",)))),
    "matching:runs": ("FORM", COORDINATOR_ONLY),
    "matching:run": ("GET", COORDINATOR_ONLY),
    "matching:run_progress": ("GET", COORDINATOR_ONLY),
    "matching:run_approve": (
        "POST",
        _coordinator_only(Go("matching:run", ("program_id", "run_id"))),
    ),
    "matching:draft": ("GET", COORDINATOR_ONLY),
    "matching:draft_approve": (
        "POST",
        _coordinator_only(Go("matching:run", ("program_id", "run_id"))),
    ),
    "matching:draft_swap": (
        "POST",
        _coordinator_only(Go("matching:draft", ("program_id", "draft_id"))),
    ),
    "matching:draft_dismiss": (
        "POST",
        _coordinator_only(Go("matching:run", ("program_id", "run_id"))),
    ),
    "matching:manual": ("GET", COORDINATOR_ONLY),
    "matching:manual_suggestions": ("GET", COORDINATOR_ONLY),
    "matching:manual_compare": ("FORM", COORDINATOR_ONLY),
    # --- Self-matching: the mentee browses and asks; the mentor answers; nobody else ---------
    "matching:browse": ("GET", (LOGIN, 404, OK, 404, 404, 404, 404)),
    "matching:request_create": ("FORM", (LOGIN, 404, OK, 404, 404, 404, 404)),
    "matching:my_requests": ("GET", PARTICIPANT_ONLY),
    # Mia's request to Marco: only Marco answers it, only Mia withdraws it. (Mia is matched
    # already in the fixture, so Marco's acceptance is refused with a message on his page.)
    "matching:request_accept": (
        "POST",
        (LOGIN, 404, 404, Go("matching:my_requests", ("program_id",)), 404, 404, 404),
    ),
    "matching:request_decline": (
        "POST",
        (LOGIN, 404, 404, Go("matching:my_requests", ("program_id",)), 404, 404, 404),
    ),
    "matching:request_withdraw": (
        "POST",
        (LOGIN, 404, Go("matching:my_requests", ("program_id",)), 404, 404, 404, 404),
    ),
    # --- Relationships: their members only (coordinators run programs from metadata) ---------
    "mentorships:relationship": ("GET", PARTICIPANT_ONLY),
    # Sessions and agendas: the relationship's members (Mia and Marco) only. An empty POST
    # (no time picked, no outcome given) changes nothing and leads back to the session.
    "mentorships:session_propose": ("FORM", PARTICIPANT_ONLY),
    "mentorships:session_log": ("FORM", PARTICIPANT_ONLY),
    "mentorships:session": ("GET", PARTICIPANT_ONLY),
    "mentorships:session_pick": ("POST", (LOGIN, 404, TO_SESSION, TO_SESSION, 404, 404, 404)),
    "mentorships:session_decline": ("FORM", PARTICIPANT_ONLY),
    "mentorships:session_cancel": ("FORM", PARTICIPANT_ONLY),
    "mentorships:session_record": ("POST", (LOGIN, 404, TO_SESSION, TO_SESSION, 404, 404, 404)),
    "mentorships:agenda": ("FORM", PARTICIPANT_ONLY),
    # A scheduled session's calendar file (a proposed one has no time: 404 for all).
    "mentorships:session_calendar": ("GET", PARTICIPANT_ONLY),
    # Everyone manages their own feed; the feed itself opens to whoever holds its address.
    "mentorships:calendar_settings": ("FORM", (LOGIN, OK, OK, OK, OK, OK, OK)),
    "mentorships:calendar_feed": ("GET", (OK, OK, OK, OK, OK, OK, OK)),
    # Notes and reflections: members only. An empty POST of the shared notes lacks the version
    # it was based on, and a reflection on the fixture's session (proposed, not held) is
    # refused: both show the session page again; empty private notes clear them.
    "mentorships:session_shared_notes": ("POST", (LOGIN, 404, OK, OK, 404, 404, 404)),
    "mentorships:session_private_notes": (
        "POST",
        (LOGIN, 404, TO_SESSION, TO_SESSION, 404, 404, 404),
    ),
    "mentorships:session_reflection": ("POST", (LOGIN, 404, OK, OK, 404, 404, 404)),
    # Goals: any member sets their own (mentors keep learning goals too); only the owner (Mia)
    # edits, shares, sets progress and adds, ticks or removes tasks; the partner (Marco), who
    # sees the shared goal on the workspace, gets 404 like everyone else. An empty POST leads
    # back to the workspace: refused with a message, or for progress and a tick the default
    # (progress from the tasks done, the task not done).
    "mentorships:goal_create": ("FORM", PARTICIPANT_ONLY),
    "mentorships:goal_edit": ("FORM", (LOGIN, 404, OK, 404, 404, 404, 404)),
    "mentorships:goal_share": ("POST", (LOGIN, 404, TO_WORKSPACE, 404, 404, 404, 404)),
    "mentorships:goal_progress": ("POST", (LOGIN, 404, TO_WORKSPACE, 404, 404, 404, 404)),
    "mentorships:goal_task_add": ("POST", (LOGIN, 404, TO_WORKSPACE, 404, 404, 404, 404)),
    "mentorships:goal_task_mark": ("POST", (LOGIN, 404, TO_WORKSPACE, 404, 404, 404, 404)),
    "mentorships:goal_task_delete": ("POST", (LOGIN, 404, TO_WORKSPACE, 404, 404, 404, 404)),
    # Messages: the relationship's members read and write them; the coordinator sees their
    # count on the overview below, never this page. An empty POST is refused on the form.
    "mentorships:messages": ("FORM", PARTICIPANT_ONLY),
    # Its life: members pause, resume and conclude (each a page that says what it does, then
    # a form); the fixture's relationship is active, so an ask to start again, its answer and
    # the closing reflection lead back to the workspace with a message.
    "mentorships:relationship_pause": ("FORM", PARTICIPANT_ONLY),
    "mentorships:relationship_resume": ("FORM", PARTICIPANT_ONLY),
    "mentorships:relationship_conclude": ("FORM", PARTICIPANT_ONLY),
    "mentorships:relationship_reignite": (
        "POST",
        (LOGIN, 404, TO_WORKSPACE, TO_WORKSPACE, 404, 404, 404),
    ),
    "mentorships:relationship_reignite_answer": (
        "POST",
        (LOGIN, 404, TO_WORKSPACE, TO_WORKSPACE, 404, 404, 404),
    ),
    "mentorships:closing_reflection": (
        "FORM",
        (LOGIN, 404, TO_WORKSPACE, TO_WORKSPACE, 404, 404, 404),
    ),
    # The coordinator's view of a relationship: that sessions took place, nothing written;
    # and their own conclude, resume and re-ignite.
    "mentorships:relationship_overview": ("GET", COORDINATOR_ONLY),
    "mentorships:coordinator_pause": ("FORM", COORDINATOR_ONLY),
    "mentorships:coordinator_resume": ("FORM", COORDINATOR_ONLY),
    "mentorships:coordinator_conclude": ("FORM", COORDINATOR_ONLY),
    "mentorships:coordinator_reignite": ("FORM", COORDINATOR_ONLY),
    # --- Support requests: the author (Mia) and the program's coordinators, nobody else ----
    # Any participant asks and lists their own; Mia's request is a 404 to Marco, her partner,
    # who must not learn it exists. An empty ask is refused on the form.
    "support:request_new": ("FORM", PARTICIPANT_ONLY),
    "support:my_support_requests": ("GET", PARTICIPANT_ONLY),
    "support:my_support_request": ("FORM", (LOGIN, 404, OK, 404, 404, 404, 404)),
    # The queue across programs: anyone who runs a program (the outsider runs Globex's).
    "support:queue_all": ("GET", (LOGIN, OK, 404, 404, OK, OK, OK)),
    "support:queue": ("GET", COORDINATOR_ONLY),
    "support:request": ("GET", COORDINATOR_ONLY),
    # An empty POST: acknowledges, assigns nobody, resolves without a note, and refuses to
    # pause (not a conduct report), each leading back to the request; an empty reply is
    # refused on the request's page.
    "support:acknowledge": ("POST", _coordinator_only(TO_SUPPORT_REQUEST)),
    "support:assign": ("POST", _coordinator_only(TO_SUPPORT_REQUEST)),
    "support:reply": ("POST", COORDINATOR_ONLY),
    "support:resolve": ("POST", _coordinator_only(TO_SUPPORT_REQUEST)),
    "support:pause": ("POST", _coordinator_only(TO_SUPPORT_REQUEST)),
    # Check-ins: Mia's is hers to answer (an empty answer is refused on the form); the
    # coordinators read the program's.
    "support:checkin": ("FORM", (LOGIN, 404, OK, 404, 404, 404, 404)),
    "support:checkins": ("GET", COORDINATOR_ONLY),
    # --- Program health: its coordinators; each action leads back to the page -------------
    "health:health": ("GET", COORDINATOR_ONLY),
    "health:export_relationships": ("GET", COORDINATOR_ONLY),
    "health:export_health": ("GET", COORDINATOR_ONLY),
    "health:nudge": ("POST", _coordinator_only(Go("health:health", ("program_id",)))),
    "health:checkin": ("POST", _coordinator_only(Go("health:health", ("program_id",)))),
}


def _url_patterns(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    """(route, qualified name, pattern) for every pattern under the root resolver."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _url_patterns(entry.url_patterns, route, inner)
        else:
            name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
            yield route, name, entry


def project_url_patterns() -> list[tuple[str, str, URLPattern]]:
    """Every URL pattern of the project except the Django admin (tested on its own below)."""
    return [p for p in _url_patterns(get_resolver().url_patterns) if not p[0].startswith("admin/")]


class AccessMatrixWalk(TestCase):
    """The personas, the objects of every URL, and one request at a time as any persona; shared
    by the matrix below and by the walks that check what every page renders."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        p = cls.p
        # Ivy was invited by email and has not signed up yet: her link claims her account.
        ivy = User(email="ivy@northwind.example")
        ivy.set_unusable_password()
        ivy.save()
        cls.invited = Participant.objects.create(
            program=p.program,
            user=ivy,
            role=ParticipantRole.MENTEE,
            status=ParticipantStatus.INVITED,
        )
        cls.unverified = make_user("una@northwind.example", verified=False)
        cls.coordinator_invitation = CoordinatorInvitation.objects.create(
            organization=p.northwind, email="newcoord@northwind.example", invited_by=p.admin
        )
        cls.mentor_membership = Membership.objects.get(organization=p.northwind, user=p.mentor)
        cls.matching = make_matching_fixture(p)
        cls.sessions = make_session_fixture(p, cls.matching.relationship)
        cls.scheduled_session = Session.objects.create(
            relationship=cls.matching.relationship,
            status=SessionStatus.SCHEDULED,
            starts_at=cls.sessions.session.options.first().starts_at,
            ends_at=cls.sessions.session.options.first().ends_at,
        )
        cls.feed = CalendarFeed.objects.create(user=p.mentee)
        cls.goals = make_goal_fixture(p, cls.matching.relationship)
        cls.support_request = SupportRequest.objects.create(
            program=p.program,
            author=p.mentee,
            relationship=cls.matching.relationship,
            category=Category.RELATIONSHIP,
            message="I would like to talk about my relationship.",
        )
        cls.checkin = CheckIn.objects.create(
            relationship=cls.matching.relationship, user=p.mentee, round=1, asked_at=timezone.now()
        )
        cls.users = {
            "anonymous": None,
            "outsider": p.outsider,
            "mentee": p.mentee,
            "mentor": p.mentor,
            "other_coordinator": p.other_coordinator,
            "coordinator": p.coordinator,
            "admin": p.admin,
        }

    def fillers(self) -> dict[str, Callable[[], Any]]:
        p = self.p
        return {
            "program_id": lambda: p.program.pk,
            "participant_id": lambda: p.mentee_participant.pk,
            "question_id": lambda: p.q_goals.pk,
            "pathway_id": lambda: p.pathway.pk,
            "organization_id": lambda: p.northwind.pk,
            "membership_id": lambda: self.mentor_membership.pk,
            "uidb64": lambda: urlsafe_base64_encode(force_bytes(self.invited.user_id)),
            "criterion_id": lambda: self.matching.criterion.pk,
            "rule_id": lambda: self.matching.pair_rule.pk,
            "run_id": lambda: self.matching.run.pk,
            "draft_id": lambda: self.matching.draft.pk,
            "mentee_id": lambda: p.mentee_participant.pk,
            "mentor_id": lambda: p.mentor_participant.pk,
            "request_id": lambda: self.matching.request.pk,
            "relationship_id": lambda: self.matching.relationship.pk,
            "session_id": lambda: self.sessions.session.pk,
            "template_id": lambda: self.sessions.template.pk,
            "goal_id": lambda: self.goals.goal.pk,
            "task_id": lambda: self.goals.task.pk,
            "support_id": lambda: self.support_request.pk,
            "checkin_id": lambda: self.checkin.pk,
        }

    def kwargs_for(self, name: str, route: str, pattern: URLPattern) -> dict[str, Any]:
        p = self.p
        fillers = self.fillers()
        tokens = {
            "programs:join_link": lambda: p.program.invite_token,
            "programs:join_invitation": lambda: self.invited.invitation_token,
            "organizations:accept_invitation": lambda: self.coordinator_invitation.token,
            "organizations:invitation_signup": lambda: self.coordinator_invitation.token,
            "verify_email": lambda: verification_token(self.unverified),
            "mentorships:calendar_feed": lambda: self.feed.token,
            "password_reset_confirm": lambda: default_token_generator.make_token(
                User.objects.get(pk=self.invited.user_id)
            ),
        }
        kwargs = {}
        for key in pattern.pattern.converters:
            if key == "token":
                self.assertIn(name, tokens, f"{route}: say which token fills <token>")
                kwargs[key] = tokens[name]()
            elif name == "mentorships:session_calendar" and key == "session_id":
                kwargs[key] = self.scheduled_session.pk
            else:
                self.assertIn(key, fillers, f"{route}: add a filler for <{key}> to the matrix")
                kwargs[key] = fillers[key]()
        return kwargs

    def setUp(self):
        # Log every persona in once; each request starts from a copy of their cookies.
        self.cookies = {}
        for persona, user in self.users.items():
            client = Client()
            if user is not None:
                # A fresh copy: logging in stamps last_login on the instance it is given.
                client.force_login(User.objects.get(pk=user.pk))
            self.cookies[persona] = copy.deepcopy(client.cookies)

    def request_as(self, persona: str, method: str, url: str) -> Any:
        """One request in a savepoint that is rolled back afterwards."""
        client = Client()
        client.cookies = copy.deepcopy(self.cookies[persona])
        with transaction.atomic():
            response: Any = client.post(url) if method == "POST" else client.get(url)
            if response.streaming:
                # A streamed export reads as it is sent: read it here, and let the walks
                # search it like any page.
                streamed = HttpResponse(
                    b"".join(response.streaming_content), status=response.status_code
                )
                for header, value in response.items():
                    streamed[header] = value
                response = streamed
            transaction.set_rollback(True)
        return response

    def describe(self, response: Any) -> str:
        if response.status_code in (301, 302):
            return f"302 → {response['Location']}"
        return str(response.status_code)

    def matches(self, response: Any, expected: Outcome, kwargs: dict[str, Any], url: str) -> bool:
        if isinstance(expected, Go):
            if response.status_code != 302:
                return False
            location = urlsplit(response["Location"])
            if expected.with_next:
                # Logging in must lead back to the page asked for.
                return location.path == reverse("login") and f"next={url}" in location.query
            if expected.name == "password_reset_confirm":
                target = reverse(expected.name, kwargs={**kwargs, "token": "set-password"})
                return location.path == target
            ids = {key: fill() for key, fill in self.fillers().items()}
            return location.path == expected.path({**ids, **kwargs})
        return response.status_code == expected

    def pages_each_persona_may_see(self) -> Iterator[tuple[str, str, str]]:
        """(persona, URL name, URL) of every GET page the matrix opens (200) to the persona."""
        for route, name, pattern in project_url_patterns():
            method, expected_row = MATRIX[name]
            if method == "POST":
                continue
            url = reverse(name, kwargs=self.kwargs_for(name, route, pattern))
            for persona, expected in zip(PERSONAS, expected_row, strict=True):
                if expected == OK:
                    yield persona, name, url


class AccessMatrixTests(AccessMatrixWalk):
    def test_every_url_pattern_is_in_the_matrix(self):
        names = [name for _, name, _ in project_url_patterns()]
        missing = sorted(set(names) - set(MATRIX))
        self.assertEqual(missing, [], "URL patterns missing from the access matrix")
        stale = sorted(set(MATRIX) - set(names))
        self.assertEqual(stale, [], "matrix rows for URL patterns that no longer exist")
        self.assertEqual(len(names), len(set(names)), "two patterns share a name")

    def test_every_persona_gets_the_expected_status_everywhere(self):
        failures = []
        checked = 0
        for route, name, pattern in project_url_patterns():
            if name not in MATRIX:
                continue  # reported by the test above
            method, expected_row = MATRIX[name]
            self.assertEqual(len(expected_row), len(PERSONAS), name)
            kwargs = self.kwargs_for(name, route, pattern)
            url = reverse(name, kwargs=kwargs)
            for persona, expected in zip(PERSONAS, expected_row, strict=True):
                first = "POST" if method == "POST" else "GET"
                response = self.request_as(persona, first, url)
                checked += 1
                if not self.matches(response, expected, kwargs, url):
                    failures.append(
                        f"{first} {url} ({name}) as {persona}: expected {expected}, "
                        f"got {self.describe(response)}"
                    )
                if method == "FORM" and (expected in (404, 403) or expected == LOGIN):
                    # Refused on GET means refused on POST: no write behind a closed door.
                    response = self.request_as(persona, "POST", url)
                    checked += 1
                    if not self.matches(response, expected, kwargs, url):
                        failures.append(
                            f"POST {url} ({name}) as {persona}: expected {expected}, "
                            f"got {self.describe(response)}"
                        )
            if method == "POST":
                response = self.request_as("coordinator", "GET", url)
                checked += 1
                if response.status_code != NOT_ALLOWED:
                    failures.append(f"GET {url} ({name}) is POST-only: got {response.status_code}")
        self.assertEqual(failures, [], "\n".join(failures))
        self.assertGreater(checked, len(MATRIX) * len(PERSONAS))

    def test_ids_from_elsewhere_are_404_even_for_the_coordinator(self):
        """The coordinator's own program id with another program's object id is still 404."""
        p = self.p
        other_question = Question.objects.create(
            program=p.other_program, slug="region", label="Region", kind="short_text"
        )
        other_pathway = p.other_program.pathways.create(name="HR", contact="hr@northwind.example")
        outsider_person = make_user("olga@globex.example")
        other_participant = Participant.objects.create(
            program=p.globex_program, user=outsider_person, role=ParticipantRole.MENTOR
        )
        globex_membership = Membership.objects.get(organization=p.globex, user=p.outsider)
        pid = p.program.pk
        cases = [
            ("programs:question_edit", {"program_id": pid, "question_id": other_question.pk}),
            ("programs:pathway_edit", {"program_id": pid, "pathway_id": other_pathway.pk}),
            ("programs:participant", {"program_id": pid, "participant_id": other_participant.pk}),
        ]
        self.client.force_login(p.coordinator)
        for name, kwargs in cases:
            response = self.client.get(reverse(name, kwargs=kwargs))
            self.assertEqual(response.status_code, 404, f"{name} {kwargs}")
        for name, kwargs in [
            ("programs:question_delete", cases[0][1]),
            ("programs:pathway_delete", cases[1][1]),
        ]:
            response = self.client.post(reverse(name, kwargs=kwargs))
            self.assertEqual(response.status_code, 404, f"{name} {kwargs}")
        # Removing someone who does not coordinate this program (or garbage) is a 404 too.
        coordinators_url = reverse("programs:coordinators", args=[pid])
        for remove in (p.other_coordinator.pk, "abc"):
            response = self.client.post(coordinators_url, {"remove": remove})
            self.assertEqual(response.status_code, 404, f"remove={remove}")
        self.assertTrue(p.other_program.coordinators.filter(pk=p.other_coordinator.pk).exists())
        self.assertTrue(Question.objects.filter(pk=other_question.pk).exists())
        self.assertTrue(p.other_program.pathways.filter(pk=other_pathway.pk).exists())
        # An org admin cannot change a membership of another organization through their own.
        self.client.force_login(p.admin)
        url = reverse(
            "organizations:member_role",
            kwargs={"organization_id": p.northwind.pk, "membership_id": globex_membership.pk},
        )
        response = self.client.post(url, {"role": Role.MEMBER})
        self.assertEqual(response.status_code, 404)
        globex_membership.refresh_from_db()
        self.assertEqual(globex_membership.role, Role.ADMIN)

    def test_pages_everyone_may_open_show_nothing_of_other_programs(self):
        """Home and the programs list are open to all, but list only the person's own."""
        p = self.p
        for persona in ("outsider", "mentee", "mentor", "other_coordinator"):
            self.client.force_login(self.users[persona])
            response = self.client.get(reverse("programs:list"))
            self.assertEqual(response.status_code, 200)
            self.assertNotContains(response, p.program.name)
        self.client.force_login(p.outsider)
        response = self.client.get(reverse("home"))
        self.assertNotContains(response, p.program.name)
        self.assertNotContains(response, p.northwind.name)
        self.assertContains(response, p.globex_program.name)


class DjangoAdminTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_admin_is_for_superusers_only(self):
        admin_pages = [reverse("admin:index"), reverse("admin:accounts_user_changelist")]
        # An organization admin, even flagged as staff, is not an operator of the installation.
        org_admin = self.p.admin
        org_admin.is_staff = True
        org_admin.save(update_fields=["is_staff"])
        self.client.force_login(org_admin)
        for url in admin_pages:
            response = self.client.get(url)
            self.assertEqual(response.status_code, 302, url)
            self.assertTrue(response["Location"].startswith(reverse("admin:login")), url)
        superuser = User.objects.create_superuser("root@tandem.example", "a-long-root-password")
        self.client.force_login(superuser)
        for url in admin_pages:
            self.assertEqual(self.client.get(url).status_code, 200, url)
