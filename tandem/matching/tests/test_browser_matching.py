"""Browser journeys of matching: smart match from rules to a mentee's home page, and self-matching.

Headless system Chromium through Playwright, against pytest-django's live server loaded with the
demo data (`load_demo`). Tasks run inline (conftest.py), so a run started from the page is done by
the time its page loads. axe-core checks every page a journey lands on (tandem.core.tests.browser).
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from tandem.core.tests import browser as browser_fixtures
from tandem.core.tests.browser import Visitor
from tandem.matching import services
from tandem.matching.models import DraftMatch, DraftStatus, MatchRequest, MatchRun, RunStatus
from tandem.mentorships.models import Relationship
from tandem.programs.demo import DEMO_PASSWORD, load_demo
from tandem.programs.models import Participant, Program
from tandem.programs.tests.test_browser import field, heading

pytestmark = pytest.mark.browser

browser = browser_fixtures.browser
visitor = browser_fixtures.visitor

PROGRAM = "Graduate Mentoring 2027"
COORDINATOR = "coordinator@example.com"
MENTEE = "mentee@example.com"


def log_in(person: Visitor, email: str) -> None:
    page = person.page
    person.open("/accounts/login/")
    expect(heading(page, "Log in")).to_be_visible()
    person.check_page()
    field(page, "Email address").fill(email)
    field(page, "Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Hello"))).to_be_visible()
    person.check_page()


def open_program_as_coordinator(person: Visitor, link: str) -> None:
    """From home, through "Programs I run", to one of the demo program's coordinator pages."""
    page = person.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Programs I run").click()
    expect(heading(page, "Programs I run")).to_be_visible()
    person.check_page()
    page.get_by_role("link", name=PROGRAM, exact=True).first.click()
    expect(heading(page, PROGRAM)).to_be_visible()
    person.check_page()
    page.get_by_role("navigation", name="Program").get_by_role("link", name=link).click()


def add_rule(
    person: Visitor,
    *,
    name: str,
    kind: str,
    mentee: str,
    mentor: str,
    weight: str = "1",
    required: bool = False,
    within: str = "",
) -> None:
    page = person.page
    form = page.get_by_role("form", name="Add a rule")
    field(form, "Name").fill(name)
    field(form, "Type").select_option(kind)
    field(form, "Mentee's answer to").select_option(mentee)
    field(form, "Mentor's answer to").select_option(mentor)
    field(form, "Weight").fill(weight)
    if required:
        form.get_by_role("checkbox", name="Required").check()
    if within:
        field(form, "Within (near)").fill(within)
    form.get_by_role("button", name="Add rule").click()
    expect(page.get_by_role("status")).to_contain_text(f"Added the rule “{name}”.")
    expect(page.get_by_role("table", name="Rules").get_by_role("link", name=name)).to_be_visible()
    person.check_page()


def row_of(page: Page, table: str, header: str):
    return (
        page.get_by_role("table", name=table)
        .get_by_role("row")
        .filter(has=page.get_by_role("rowheader", name=re.compile(re.escape(header))))
    )


@pytest.mark.django_db(transaction=True)
def test_coordinator_runs_smart_match_approves_a_draft_and_the_mentee_sees_why(visitor, settings):
    # The run waits in the queue until this test plays the worker, so that the page is seen
    # waiting and then updating itself when the run is done.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    load_demo()
    program = Program.objects.get(name=PROGRAM)

    # a. The demo coordinator turns sign-up questions into rules, one of them on a private answer.
    cora = visitor("Cora, coordinator")
    page = cora.page
    log_in(cora, COORDINATOR)
    open_program_as_coordinator(cora, "Matching rules")
    expect(heading(page, "Matching rules")).to_be_visible()
    expect(page.get_by_text("No rules yet.")).to_be_visible()
    cora.check_page()
    add_rule(
        cora, name="Shared skills", kind="overlap", mentee="goals", mentor="expertise", weight="3"
    )
    add_rule(
        cora,
        name="A common language",
        kind="same",
        mentee="languages",
        mentor="languages",
        required=True,
    )
    add_rule(
        cora, name="Close time zones", kind="near", mentee="timezone", mentor="timezone", within="4"
    )
    # Gender is a private question: it may shape the match, never what the pair is told.
    add_rule(cora, name="Same gender", kind="same", mentee="gender", mentor="gender")
    rules = page.get_by_role("table", name="Rules").get_by_role("row")
    expect(rules).to_have_count(5)  # the header and four rules, in the order added
    expect(rules.nth(2)).to_contain_text("Required")
    expect(rules.nth(3)).to_contain_text("within 4")

    # b. They run smart match on the unmatched cohort and watch the run page: queued, then done
    # (the page polls the status and reloads itself with the drafts).
    page.get_by_role("link", name="Run smart match").click()
    expect(heading(page, "Smart match")).to_be_visible()
    expect(page.get_by_role("link", name="4 rules")).to_be_visible()
    expect(page.get_by_text("No runs yet.")).to_be_visible()
    cora.check_page()
    page.get_by_role("radio", name=re.compile("^Mentees not matched yet")).check()
    page.get_by_role("button", name="Run smart match").click()
    expect(heading(page, "Smart match run")).to_be_visible()
    progress = page.get_by_role("status").filter(has_text="Status:")
    expect(progress).to_contain_text("Status: Queued — Waiting for a worker")
    expect(progress.get_by_role("progressbar", name="Run progress")).to_be_visible()
    expect(page.get_by_role("heading", name="Draft matches")).not_to_be_attached()
    cora.check_page()
    run = MatchRun.objects.get(program=program)
    services.match_run_execute(run_id=run.pk)  # what the task worker does
    expect(progress).to_contain_text("Status: Done")
    expect(page.get_by_role("heading", name="Draft matches")).to_be_visible()
    expect(progress).to_contain_text(re.compile(r"\d+ matched of 61 mentees and 31 mentors"))
    expect(progress).to_contain_text("proven optimal")
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    proposed = run.drafts.filter(status=DraftStatus.PROPOSED).count()
    assert proposed == run.stats["matched"] > 0
    drafts = page.get_by_role("table", name="Draft matches")
    expect(page.get_by_role("link", name=f"Proposed ({proposed})")).to_have_attribute(
        "aria-current", "page"
    )
    expect(drafts.get_by_role("row")).to_have_count(min(proposed, 50) + 1)  # a page of 50
    expect(page.get_by_role("button", name=f"Approve all {proposed}")).to_be_visible()
    cora.check_page()

    # c. They open the best draft: its reasons, and both profiles side by side.
    best = drafts.get_by_role("row").nth(1).get_by_role("link")
    mentee_name = best.inner_text()
    best.click()
    draft = DraftMatch.objects.select_related("mentee__user", "mentor__user").get(
        run=run, mentee__user__full_name=mentee_name
    )
    mentor_name = draft.mentor.user.full_name
    private_reason = next(r for r in draft.reasons if r["criterion"] == "Same gender")
    assert private_reason["value"] > 0, "the journey needs a draft that the private rule scored"
    expect(heading(page, f"{mentee_name} and {mentor_name}")).to_be_visible()
    why = page.get_by_role("table", name="Why this pair")
    for rule in ("Shared skills", "A common language", "Close time zones", "Same gender"):
        expect(why.get_by_role("cell", name=rule, exact=True)).to_be_visible()
    expect(why).to_contain_text(private_reason["detail"])  # coordinators see every reason
    side_by_side = page.get_by_role("table", name="Side by side")
    expect(side_by_side.get_by_role("columnheader", name=f"{mentee_name} (mentee)")).to_be_visible()
    expect(side_by_side.get_by_role("columnheader", name=f"{mentor_name} (mentor)")).to_be_visible()
    expect(row_of(page, "Side by side", "Languages")).to_contain_text("in the score")
    expect(row_of(page, "Side by side", "Gender")).to_contain_text("Private")
    expect(row_of(page, "Side by side", "Your department")).not_to_contain_text("in the score")
    cora.check_page()

    # d. They approve it: back on the run, one approved and one fewer proposed.
    page.get_by_role("button", name="Approve this match").click()
    expect(heading(page, "Smart match run")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Match approved; everyone in it is told.")
    expect(page.get_by_role("link", name="Approved (1)")).to_be_visible()
    expect(page.get_by_role("link", name=f"Proposed ({proposed - 1})")).to_be_visible()
    cora.check_page()
    relationship = Relationship.objects.get(program=program)
    members = {m.participant_id for m in relationship.members.all()}
    assert members == {draft.mentee_id, draft.mentor_id}

    # e. The mentee logs in: the match is on their home page, and its page says who and why.
    mentee = visitor("the matched mentee")
    page = mentee.page
    log_in(mentee, draft.mentee.user.email)
    matches = page.locator("h2:has-text('My matches') + ul")
    expect(matches).to_contain_text(f"{PROGRAM} · Active since")
    matches.get_by_role("link", name=mentor_name).click()
    expect(heading(page, f"Your match in {PROGRAM}")).to_be_visible()
    expect(
        page.get_by_role("heading", level=2, name=re.compile(re.escape(mentor_name)))
    ).to_be_visible()
    why = page.locator("h2:has-text('Why you were matched') + ul")
    expect(why).to_contain_text("Shared skills")
    expect(why).to_contain_text("A common language")
    expect(page.get_by_role("heading", name="What happens next")).to_be_visible()
    # The mentee leads: the workspace prompts them first.
    expect(page.get_by_role("link", name="Schedule your first session")).to_be_visible()
    expect(page.get_by_role("heading", name="The program's guidelines")).to_be_visible()
    expect(page.locator(".prose")).to_contain_text("What it does not cover: therapy")
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="Get other support")).to_be_visible()
    # Nothing from a private answer: not the rule it scored, nor the partner's answer.
    expect(main).not_to_contain_text("Same gender")
    expect(main).not_to_contain_text(private_reason["detail"])
    expect(main).not_to_contain_text("Gender")
    mentee.check_page()


@pytest.mark.django_db(transaction=True)
def test_a_mentee_asks_a_mentor_who_accepts_once_the_coordinator_opens_self_matching(visitor):
    load_demo()
    program = Program.objects.get(name=PROGRAM)
    coordinator = program.coordinators.get()
    services.criterion_create(
        program=program,
        actor=coordinator,
        name="Shared skills",
        type="overlap",
        mentee_attribute="goals",
        mentor_attribute="expertise",
        weight=3.0,
    )
    # A private rule never ranks or explains a self-match recommendation.
    services.criterion_create(
        program=program,
        actor=coordinator,
        name="Same gender",
        type="same",
        mentee_attribute="gender",
        mentor_attribute="gender",
    )

    # a. The coordinator turns self-matching on in the program's settings.
    cora = visitor("Cora, coordinator")
    page = cora.page
    log_in(cora, COORDINATOR)
    open_program_as_coordinator(cora, "Settings")
    expect(heading(page, f"Settings of {PROGRAM}")).to_be_visible()
    cora.check_page()
    self_matching = page.get_by_role("checkbox", name="Self-matching")
    expect(self_matching).not_to_be_checked()
    self_matching.check()
    page.get_by_role("button", name="Save").click()
    expect(heading(page, PROGRAM)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.get_by_text("Self-match")).to_be_visible()
    cora.check_page()

    # b. A mentee finds a mentor from public answers and sends a request with a message.
    mia = visitor("Mia, mentee")
    page = mia.page
    log_in(mia, MENTEE)
    page.get_by_role("link", name=PROGRAM, exact=True).first.click()
    expect(heading(page, PROGRAM)).to_be_visible()
    mia.check_page()
    page.get_by_role("navigation", name="My program").get_by_role(
        "link", name="Find a mentor"
    ).click()
    expect(heading(page, "Find a mentor")).to_be_visible()
    expect(page.get_by_text("You have 0 of 3 requests open.")).to_be_visible()
    cards = page.get_by_role("list", name="Mentors").get_by_role("listitem")
    expect(cards.first).to_be_visible()
    expect(cards).to_have_count(settings.MENTORS_PER_PAGE)  # one page; the rest are paged
    expect(cards.first).to_contain_text("Shared skills")
    expect(page.get_by_role("main")).not_to_contain_text("Same gender")
    expect(page.get_by_role("main")).not_to_contain_text("Gender")
    mia.check_page()
    ask = cards.first.get_by_role("link", name=re.compile("^Ask "))
    mentor_id = int(re.search(r"/mentors/(\d+)/", ask.get_attribute("href") or "").group(1))
    mentor = Participant.objects.select_related("user").get(pk=mentor_id)
    mentor_name = mentor.user.full_name
    ask.click()
    expect(heading(page, f"Ask {mentor_name} to be your mentor")).to_be_visible()
    mia.check_page()
    message = "I want to grow into a lead role; your experience with teams is what I hope to learn."
    field(page, "Your message").fill(message)
    page.get_by_role("button", name="Send the request").click()
    expect(heading(page, "Requests")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        f"Your request is on its way to {mentor_name}."
    )
    sent = page.get_by_role("region", name=re.compile(f"To {re.escape(mentor_name)}"))
    expect(sent).to_contain_text("Waiting for an answer")
    expect(sent).to_contain_text(message)
    mia.check_page()

    # c. The mentor finds it under Requests and accepts it.
    marco = visitor("the mentor asked")
    page = marco.page
    log_in(marco, mentor.user.email)
    page.get_by_role("link", name=PROGRAM, exact=True).first.click()
    expect(heading(page, PROGRAM)).to_be_visible()
    marco.check_page()
    page.get_by_role("navigation", name="My program").get_by_role("link", name="Requests").click()
    expect(heading(page, "Requests")).to_be_visible()
    received = page.get_by_role("region", name=re.compile("^Mia Mentee"))
    expect(received).to_contain_text(message)
    marco.check_page()
    received.get_by_label("A note (optional)").fill("Happy to. Let's meet next week.")
    received.get_by_role("button", name="Accept").click()
    expect(heading(page, f"Your match in {PROGRAM}")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("You have a new mentee. They are told.")
    expect(page.get_by_role("heading", level=2, name=re.compile("^Mia Mentee"))).to_be_visible()
    expect(page.get_by_text("Your mentee leads")).to_be_visible()
    marco.check_page()
    assert MatchRequest.objects.get(mentor=mentor).status == "accepted"

    # d. The mentee sees the match on her home page.
    page = mia.page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Hello"))).to_be_visible()
    matches = page.locator("h2:has-text('My matches') + ul")
    expect(matches.get_by_role("link", name=mentor_name)).to_be_visible()
    expect(matches).to_contain_text(f"{PROGRAM} · Active since")
    mia.check_page()
    relationship = Relationship.objects.get(program=program)
    assert {m.participant.user.email for m in relationship.members.all()} == {
        MENTEE,
        mentor.user.email,
    }
