"""Browser journeys: what coordinators and newcomers do, checked on the page they see.

Headless system Chromium through Playwright, against pytest-django's live server. axe-core runs
on every page a journey lands on (see tandem.core.tests.browser) and fails the journey on a
serious or critical violation.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Locator, Page, expect

from tandem.core.testing import PASSWORD, emailed_path, make_personas, make_user
from tandem.core.tests import browser as browser_fixtures
from tandem.core.tests.browser import Visitor
from tandem.programs import services
from tandem.programs.models import (
    Participant,
    ParticipantRole,
    Program,
    ProgramStatus,
)

pytestmark = pytest.mark.browser

# The shared fixtures: one Chromium per module, and a `visitor(name)` factory per test.
browser = browser_fixtures.browser
visitor = browser_fixtures.visitor

NEWCOMER_PASSWORD = "quiet-harbour-72"


def field(page: Page | Locator, label: str) -> Locator:
    """The form control labelled `label`, required or not (filter labels end in a colon)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?( \(required\))?$"))


def heading(page: Page, text: str) -> Locator:
    return page.get_by_role("heading", level=1, name=text)


def log_in(person: Visitor, email: str, password: str = PASSWORD) -> None:
    page = person.page
    person.open("/accounts/login/")
    expect(heading(page, "Log in")).to_be_visible()
    person.check_page()
    field(page, "Email address").fill(email)
    field(page, "Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Hello"))).to_be_visible()
    person.check_page()


def open_verification_email(person: Visitor, email: str) -> None:
    """Sign-up answers "check your inbox"; the person opens the link the email gives them."""
    expect(heading(person.page, "Check your inbox")).to_be_visible()
    person.check_page()
    message = next(m for m in reversed(mail.outbox) if m.to == [email])
    assert message.subject == "Confirm your email address for Tandem"
    person.open(emailed_path(message, "/accounts/verify/"))
    expect(heading(person.page, "Confirm your email address")).to_be_visible()
    expect(person.page.get_by_text(f"Confirm that {email} is yours")).to_be_visible()
    person.check_page()


def add_question(
    person: Visitor,
    *,
    label: str,
    kind: str,
    choices: tuple[str, ...] = (),
    private: bool = False,
) -> None:
    page = person.page
    form = page.get_by_role("form", name="Add a question")
    field(form, "Label").fill(label)
    field(form, "Kind").select_option(label=kind)
    if choices:
        field(form, "Choices").fill("\n".join(choices))
    if private:
        field(form, "Visibility").select_option(label="Private (coordinators only)")
    form.get_by_role("button", name="Add question").click()
    expect(page.get_by_role("status")).to_contain_text(f"Added “{label}”.")
    expect(page.get_by_role("table").get_by_role("link", name=label)).to_be_visible()
    person.check_page()


@pytest.mark.django_db(transaction=True)
def test_coordinator_creates_a_program_a_newcomer_joins_and_the_coordinator_finds_them(
    visitor,
):
    personas = make_personas()

    # a. The coordinator creates a program with three questions and opens it for enrolment.
    cora = visitor("Cora, coordinator")
    page = cora.page
    log_in(cora, personas.coordinator.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Programs I run").click()
    expect(heading(page, "Programs I run")).to_be_visible()
    cora.check_page()
    page.get_by_role("link", name="New program").click()
    expect(heading(page, "New program")).to_be_visible()
    cora.check_page()
    field(page, "Name").fill("Women in Engineering 2027")
    field(page, "Description").fill("Senior engineers mentor early-career engineers.")
    field(page, "Guidelines").fill("Mentoring covers career and craft. It is not therapy.")
    page.get_by_role("button", name="Create program").click()
    expect(heading(page, "Sign-up questions")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Created Women in Engineering 2027")
    expect(page.get_by_text("No questions yet.")).to_be_visible()
    cora.check_page()

    add_question(
        cora,
        label="Department",
        kind="Single choice",
        choices=("Platform", "Mobile", "Data"),
    )
    add_question(
        cora,
        label="What do you want to work on?",
        kind="Multiple choice",
        choices=("Leadership", "System design", "Public speaking"),
    )
    add_question(cora, label="Time zone", kind="Time zone (UTC offset)", private=True)
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(4)  # the header and three questions, in the order added
    expect(rows.nth(1)).to_contain_text("Single choice")
    expect(rows.nth(2)).to_contain_text("Multiple choice")
    expect(rows.nth(3)).to_contain_text("Private")

    page.get_by_role("navigation", name="Program").get_by_role("link", name="Overview").click()
    expect(heading(page, "Women in Engineering 2027")).to_be_visible()
    expect(page.get_by_text("Status: Draft")).to_be_visible()
    cora.check_page()
    page.get_by_role("button", name="Open for enrolment").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Women in Engineering 2027 is now open for enrolment."
    )
    expect(page.get_by_text("Status: Open for enrolment")).to_be_visible()
    cora.check_page()
    page.get_by_role("link", name="Invitations").click()
    expect(heading(page, "Invitations")).to_be_visible()
    cora.check_page()
    join_url = page.locator("#join-url").inner_text()

    program = Program.objects.get(name="Women in Engineering 2027")
    assert program.status == ProgramStatus.OPEN
    assert list(program.questions.values_list("kind", flat=True)) == [
        "single_choice",
        "multiple_choice",
        "timezone",
    ]
    # Two people already in, so that the search and the filter below have something to leave out.
    others = [
        ("Marta Platform", "marta@northwind.example", "Platform"),
        ("Dara Data", "dara@northwind.example", "Data"),
    ]
    questions = {q.slug: q for q in program.questions.all()}
    for name, email, their_department in others:
        services.participant_join(
            program=program,
            user=make_user(email, name),
            role=ParticipantRole.MENTEE,
            answers={
                questions["department"]: their_department,
                questions["what_do_you_want_to_work_on"]: ["Leadership"],
                questions["time_zone"]: 0,
            },
        )

    # b. A new person opens the invite link, signs up and joins.
    nia = visitor("Nia, newcomer")
    page = nia.page
    nia.open(join_url)
    expect(heading(page, "Join Women in Engineering 2027")).to_be_visible()
    nia.check_page()
    page.get_by_role("link", name="Create an account to join").click()
    expect(heading(page, "Create an account")).to_be_visible()
    nia.check_page()
    field(page, "Your name").fill("Nia Newcomer")
    field(page, "Email address").fill("nia@newcomer.example")
    field(page, "Password").fill(NEWCOMER_PASSWORD)
    field(page, "Password again").fill(NEWCOMER_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    open_verification_email(nia, "nia@newcomer.example")
    page.get_by_role("button", name="Confirm and log in").click()

    expect(page.get_by_role("heading", name="The program's guidelines")).to_be_visible()
    expect(page.locator("#guidelines")).to_contain_text("It is not therapy.")
    nia.check_page()
    page.get_by_label("I have read the guidelines and accept them.").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("group", name=re.compile("I am joining as"))).to_be_visible()
    nia.check_page()
    page.get_by_role("radio", name="Mentee").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_text("You are joining as: Mentee.")).to_be_visible()
    nia.check_page()
    # Leave out the department and the topics: each error names its field and is tied to it.
    field(page, "Time zone").select_option(label="UTC+02:00")
    page.get_by_role("button", name="Join the program").click()
    department = field(page, "Department")
    topics = page.get_by_role("group", name=re.compile("What do you want to work on"))
    expect(page.get_by_text("Department: This field is required.")).to_be_visible()
    expect(department).to_have_attribute("aria-invalid", "true")
    expect(department).to_have_accessible_description(
        re.compile("Department: This field is required.")
    )
    expect(topics).to_have_accessible_description(
        re.compile("What do you want to work on\\?: This field is required.")
    )
    expect(field(page, "Time zone")).to_have_value("2")  # what was given is kept
    nia.check_page()
    page.get_by_role("checkbox", name="System design").check()
    department.select_option("Mobile")
    page.get_by_role("button", name="Join the program").click()

    expect(heading(page, "You have joined Women in Engineering 2027")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Welcome to Women in Engineering 2027!")
    expect(page.get_by_role("link", name="Get other support")).to_be_visible()
    nia.check_page()
    nia_participant = Participant.objects.get(program=program, user__email="nia@newcomer.example")
    assert nia_participant.role == ParticipantRole.MENTEE
    answered = nia_participant.answers.select_related("question")
    assert {a.question.slug: a.value for a in answered} == {
        "department": "Mobile",
        "what_do_you_want_to_work_on": ["System design"],
        "time_zone": 2,
    }

    # c. The coordinator finds the newcomer by search and by an answer, and opens their page.
    page = cora.page
    page.get_by_role("navigation", name="Program").get_by_role("link", name="Participants").click()
    expect(heading(page, "Participants")).to_be_visible()
    expect(page.locator("#result-count")).to_have_text("3 participants")
    cora.check_page()
    filters = page.get_by_role("search", name="Filter participants")
    field(filters, "Search").fill("newcomer")
    filters.get_by_role("button", name="Filter").click()
    expect(page.locator("#result-count")).to_have_text("1 participant")
    results = page.get_by_role("table")
    expect(results.get_by_role("link", name="Nia Newcomer")).to_be_visible()
    expect(results).not_to_contain_text("Marta Platform")
    cora.check_page()

    filters.get_by_role("link", name="Clear").click()
    expect(page.locator("#result-count")).to_have_text("3 participants")
    cora.check_page()
    field(filters, "Department").select_option("Mobile")
    filters.get_by_role("button", name="Filter").click()
    expect(page.locator("#result-count")).to_have_text("1 participant")
    expect(results.get_by_role("row")).to_have_count(2)
    expect(results.get_by_role("link", name="Nia Newcomer")).to_be_visible()
    cora.check_page()

    results.get_by_role("link", name="Nia Newcomer").click()
    expect(heading(page, "Nia Newcomer")).to_be_visible()
    answers = page.locator("dl.answers")
    expect(answers.locator("dt", has_text="Department")).not_to_contain_text("Private")
    expect(answers.locator("dt", has_text="Time zone")).to_contain_text("Private")
    expect(answers.locator("dt:has-text('Time zone') + dd")).to_have_text("UTC+02:00")
    expect(answers.locator("dt:has-text('Department') + dd")).to_have_text("Mobile")
    cora.check_page()


# What the focused element looks like: an outline (or a shadow) and a place on the screen.
_FOCUS_STATE = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return {
        element: el.outerHTML.slice(0, 120),
        outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
        shadow: style.boxShadow !== "none",
        onScreen: box.width > 0 && box.height > 0 && box.left >= 0 && box.top >= 0
            && box.right <= innerWidth && box.bottom <= innerHeight,
    };
}"""


def assert_focus_visible(page: Page) -> None:
    state = page.evaluate(_FOCUS_STATE)
    assert state["outline"] or state["shadow"], f"no visible focus indicator on {state['element']}"
    assert state["onScreen"], f"the focused element is off screen: {state['element']}"


def tab_to(page: Page, target: Locator, *, limit: int = 30) -> None:
    """Press Tab until `target` has focus; every stop on the way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"{target} was not reached with {limit} presses of Tab")


@pytest.mark.django_db(transaction=True)
def test_a_newcomer_joins_with_the_keyboard_alone(visitor):
    personas = make_personas()
    program = personas.program
    kai = visitor("Kai, keyboard user")
    page = kai.page
    kai.open(f"/join/{program.invite_token}/")
    expect(heading(page, "Join Graduate Mentoring 2027")).to_be_visible()
    kai.check_page()

    # The first Tab reaches the skip link, shown on screen; Enter skips the site navigation.
    skip_link = page.get_by_role("link", name="Skip to content")
    page.keyboard.press("Tab")
    expect(skip_link).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Create an account to join")).to_be_focused()
    page.keyboard.press("Enter")

    expect(heading(page, "Create an account")).to_be_visible()
    kai.check_page()
    tab_to(page, field(page, "Your name"))
    page.keyboard.type("Kai Keys")
    page.keyboard.press("Tab")
    expect(field(page, "Email address")).to_be_focused()
    page.keyboard.type("kai@keyboard.example")
    page.keyboard.press("Tab")
    page.keyboard.type(NEWCOMER_PASSWORD)
    tab_to(page, field(page, "Password again"))
    page.keyboard.type(NEWCOMER_PASSWORD)
    page.keyboard.press("Enter")
    open_verification_email(kai, "kai@keyboard.example")
    tab_to(page, page.get_by_role("button", name="Confirm and log in"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="The program's guidelines")).to_be_visible()
    kai.check_page()
    accept = page.get_by_label("I have read the guidelines and accept them.")
    tab_to(page, accept)
    page.keyboard.press("Space")
    expect(accept).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("group", name=re.compile("I am joining as"))).to_be_visible()
    kai.check_page()
    mentee = page.get_by_role("radio", name="Mentee")
    tab_to(page, mentee)
    page.keyboard.press("Space")
    expect(mentee).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Continue"))
    page.keyboard.press("Enter")

    expect(page.get_by_text("You are joining as: Mentee.")).to_be_visible()
    kai.check_page()
    leadership = page.get_by_role("checkbox", name="Leadership")
    tab_to(page, leadership)
    page.keyboard.press("Space")
    expect(leadership).to_be_checked()
    department = field(page, "Department")
    tab_to(page, department)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(department).to_have_value("Sales")
    tab_to(page, page.get_by_role("button", name="Join the program"))
    page.keyboard.press("Enter")

    expect(heading(page, "You have joined Graduate Mentoring 2027")).to_be_visible()
    kai.check_page()
    tab_to(page, page.get_by_role("link", name="Get other support"))
    page.keyboard.press("Enter")
    expect(heading(page, "Get other support")).to_be_visible()
    expect(page.get_by_role("heading", name="Employee Assistance")).to_be_visible()
    kai.check_page()

    joined = Participant.objects.get(program=program, user__email="kai@keyboard.example")
    answered = {a.question.slug: a.value for a in joined.answers.select_related("question")}
    assert answered == {"goals": ["Leadership"], "department": "Sales"}


def test_the_accessibility_check_fails_on_a_serious_violation(browser):
    """The guard the journeys rely on: an unlabelled field on a page fails `check_page`."""
    context = browser.new_context()
    try:
        person = Visitor(name="anyone", page=context.new_page(), base_url="")
        person.page.set_content(
            "<!doctype html><html lang='en'><title>Form</title><style>h1 {color: #000}</style>"
            "<main><h1>Form</h1>"
            "<input type='text' name='nickname'></main></html>"
        )
        with pytest.raises(pytest.fail.Exception, match=r"label \(critical\)"):
            person.check_page()
    finally:
        context.close()
