"""Journey: the mentee schedules the first session and sends its agenda from the program's
template; the mentor picks the time and reads the agenda. On a 390 px phone: no page scrolls
sideways, and axe-core finds no serious or critical violation on any page visited."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tandem.core.testing import make_personas
from tandem.core.tests import browser as browser_fixtures
from tandem.core.tests.browser import Visitor
from tandem.matching.tests.test_browser_phone import PAGE_WIDTH, PHONE, TOO_WIDE
from tandem.mentorships.models import Agenda, Session, SessionStatus
from tandem.mentorships.tests.pairs import mia_and_marco
from tandem.programs.demo import create_agenda_templates
from tandem.programs.tests.test_browser import field, heading, log_in

pytestmark = pytest.mark.browser

browser = browser_fixtures.browser
visitor = browser_fixtures.visitor

BROWSER_ZONE = "() => Intl.DateTimeFormat().resolvedOptions().timeZone"
FIRST_PROMPT = "What brought me to mentoring, and what I hope to get from it"


def checked(person: Visitor, title: str) -> None:
    """The page has this heading, fits the phone's width, and passes axe-core."""
    expect(heading(person.page, title)).to_be_visible()
    width = person.page.evaluate(PAGE_WIDTH)
    if width > PHONE["width"]:
        culprits = person.page.evaluate(TOO_WIDE, PHONE["width"])
        pytest.fail(f"{person.page.url} is {width} px wide on a phone: {culprits}")
    person.check_page()


@pytest.mark.django_db(transaction=True)
def test_mentee_schedules_and_sends_the_agenda_and_the_mentor_picks_and_reads_it(visitor):
    p = make_personas()
    relationship = mia_and_marco(p)
    create_agenda_templates(p.program)
    p.mentee.time_zone = ""  # never asked yet: the workspace asks first
    p.mentee.save(update_fields=["time_zone"])
    day = timezone.localdate() + datetime.timedelta(days=10)
    workspace = f"/relationships/{relationship.pk}/"

    # The mentee opens her workspace; she is asked her time zone first.
    mia = visitor("Mia, mentee", timezone_id="Europe/London")
    mia.page.set_viewport_size(PHONE)
    log_in(mia, p.mentee.email)
    mia.open(workspace)
    checked(mia, "Your account")
    # Her browser's zone is pre-selected (by a static script: the CSP allows no inline one).
    assert mia.page.evaluate(BROWSER_ZONE) == "Europe/London"
    expect(field(mia.page, "Your time zone")).to_have_value("Europe/London")
    mia.page.get_by_role("button", name="Save").click()
    checked(mia, "Your match in Graduate Mentoring 2027")
    p.mentee.refresh_from_db()
    assert p.mentee.time_zone == "Europe/London"
    expect(mia.page.get_by_text("Your move")).to_be_visible()

    # She proposes the first session.
    mia.page.get_by_role("link", name="Schedule your first session").click()
    checked(mia, "Propose a session")
    first = mia.page.get_by_role("group", name="First choice")
    field(first, "Date").fill(day.isoformat())
    field(first, "Start time").fill("10:00")
    field(first, "Length").select_option(label="45 minutes")
    field(mia.page, "Place or video link").fill("Room 4, second floor")
    mia.page.get_by_role("button", name="Propose these times").click()
    checked(mia, "A proposed session")
    expect(mia.page.get_by_role("status")).to_contain_text("Your times are proposed")

    # She writes the agenda from the template for a first session, and sends it.
    mia.page.get_by_role("link", name="Write the agenda").click()
    checked(mia, "Agenda")
    expect(
        mia.page.get_by_role("heading", name="First session: getting to know each other")
    ).to_be_visible()
    field(mia.page, FIRST_PROMPT).fill("I want to lead a team within two years.")
    mia.page.get_by_role("button", name="Send the agenda").click()
    checked(mia, "A proposed session")
    expect(mia.page.get_by_role("status")).to_contain_text("Your agenda is sent.")
    agenda = Agenda.objects.get()
    assert agenda.sent_at is not None
    assert agenda.answers[0] == "I want to lead a team within two years."

    # The mentor is prompted to pick a time, picks it, and reads the agenda.
    marco = visitor("Marco, mentor")
    marco.page.set_viewport_size(PHONE)
    log_in(marco, p.mentor.email)
    marco.open(workspace)
    checked(marco, "Your match in Graduate Mentoring 2027")
    marco.page.get_by_role("link", name="Pick a time for the session Mia Mentee proposed").click()
    checked(marco, "A proposed session")
    expect(marco.page.get_by_text("I want to lead a team within two years.")).to_be_visible()
    # Mia chose 10:00 on London's clock; it is stored in UTC, summer time or not.
    london = zoneinfo.ZoneInfo("Europe/London")
    session = Session.objects.get()
    expected = datetime.datetime.combine(day, datetime.time(10), tzinfo=london)
    assert session.options.get().starts_at == expected.astimezone(datetime.UTC)
    marco.page.get_by_role("button", name="Pick this time").click()
    checked(marco, f"Session on {day:%A} {day.day} {day:%B %Y}")
    expect(marco.page.get_by_role("status")).to_contain_text("The session is scheduled.")
    expect(marco.page.get_by_text("— in time")).to_be_visible()
    expect(marco.page.get_by_text(FIRST_PROMPT)).to_be_visible()
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED

    # Back on her workspace, Mia sees it is all set.
    mia.open(workspace)
    checked(mia, "Your match in Graduate Mentoring 2027")
    expect(mia.page.get_by_text("your agenda is sent")).to_be_visible()
