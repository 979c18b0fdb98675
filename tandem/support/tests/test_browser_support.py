"""Journey: from her workspace, the mentee asks the coordinators for support, privately; the
coordinator finds it in the program's queue, acknowledges it, replies pointing to a referral
pathway, and resolves it with a note of her own; the mentee reads the reply and that it is
resolved, never the note; her mentor sees nothing of it. On a 390 px phone: no page scrolls
sideways, and axe-core finds no serious or critical violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tandem.core.testing import make_personas
from tandem.core.tests import browser as browser_fixtures
from tandem.matching.tests.test_browser_phone import PHONE
from tandem.mentorships.tests.pairs import mia_and_marco
from tandem.mentorships.tests.test_browser_workspace import checked
from tandem.programs.tests.test_browser import field, log_in
from tandem.support.models import RequestStatus, SupportRequest

pytestmark = pytest.mark.browser

browser = browser_fixtures.browser
visitor = browser_fixtures.visitor

WORDS = "My mentor keeps cancelling at the last minute; I feel stuck. 😕"


@pytest.mark.django_db(transaction=True)
def test_the_mentee_asks_for_support_and_the_coordinator_answers_and_resolves(visitor):
    p = make_personas()
    relationship = mia_and_marco(p)
    program = p.program

    mia = visitor("Mia, mentee")
    mia.page.set_viewport_size(PHONE)
    log_in(mia, p.mentee.email)
    mia.open(f"/relationships/{relationship.pk}/")
    checked(mia, "Your match in Graduate Mentoring 2027")
    mia.page.get_by_role("link", name="Get other support").first.click()
    checked(mia, "Get other support")
    mia.page.get_by_role("link", name="Ask the coordinators").click()
    checked(mia, "Ask the coordinators, privately")
    mia.page.get_by_label("My mentoring relationship").check()
    mia.page.get_by_label("In the next few days").check()
    field(mia.page, "What would you like the coordinators to know?").fill(WORDS)
    mia.page.get_by_role("button", name="Send to the coordinators").click()
    checked(mia, "My mentoring relationship")
    expect(mia.page.locator(".messages")).to_contain_text("Only they can read it")
    expect(mia.page.get_by_text(WORDS)).to_be_visible()

    cora = visitor("Cora, coordinator")
    cora.page.set_viewport_size(PHONE)
    log_in(cora, p.coordinator.email)
    cora.open(f"/programs/{program.pk}/support/")
    checked(cora, "Support requests in Graduate Mentoring 2027")
    cora.page.get_by_role("link", name="My mentoring relationship").click()
    checked(cora, "My mentoring relationship, from Mia Mentee")
    expect(cora.page.get_by_text(WORDS)).to_be_visible()
    cora.page.get_by_role("button", name="Acknowledge: tell the author you read it").click()
    checked(cora, "My mentoring relationship, from Mia Mentee")
    field(cora.page, "Your reply").fill("Thank you for telling us. Let's talk on Thursday.")
    cora.page.get_by_label("Point to a referral pathway (optional)").select_option(
        label=p.pathway.name
    )
    cora.page.get_by_role("button", name="Send the reply").click()
    checked(cora, "My mentoring relationship, from Mia Mentee")
    field(cora.page, "Resolution note (coordinators only)").fill("Spoke to Marco; agreed dates.")
    cora.page.get_by_role("button", name="Mark resolved").click()
    checked(cora, "My mentoring relationship, from Mia Mentee")
    expect(cora.page.locator(".messages")).to_contain_text("Resolved")
    assert SupportRequest.objects.get().status == RequestStatus.RESOLVED

    mia.open(f"/my/{program.pk}/support/requests/")
    checked(mia, "My support requests")
    mia.page.get_by_role("link", name="My mentoring relationship").click()
    checked(mia, "My mentoring relationship")
    expect(mia.page.get_by_text("Let's talk on Thursday.")).to_be_visible()
    expect(mia.page.get_by_text(p.pathway.name)).to_be_visible()
    expect(mia.page.get_by_text("Resolved", exact=True)).to_be_visible()
    assert "Spoke to Marco" not in mia.page.content()

    marco = visitor("Marco, mentor")
    marco.page.set_viewport_size(PHONE)
    log_in(marco, p.mentor.email)
    marco.open(f"/relationships/{relationship.pk}/")
    checked(marco, "Your match in Graduate Mentoring 2027")
    page = marco.page.content()
    assert "cancelling" not in page
    assert "support request" not in page.lower()
