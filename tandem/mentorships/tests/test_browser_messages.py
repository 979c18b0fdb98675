"""Journey: the mentee writes to her mentor from the workspace, with a link; he sees that he
has an unread message on his home page and workspace, reads it (the link is a real link, with
rel="nofollow noopener"), and replies; she sees the reply as unread. axe-core finds no serious
or critical violation on any page visited, at desktop width and on a 390 px phone, where no
page scrolls sideways (a long web address wraps)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tandem.core.testing import make_personas
from tandem.core.tests import browser as browser_fixtures
from tandem.matching.tests.test_browser_phone import PHONE
from tandem.mentorships.models import Message
from tandem.mentorships.tests.pairs import mia_and_marco
from tandem.mentorships.tests.test_browser_workspace import checked
from tandem.programs.tests.test_browser import field, heading, log_in

pytestmark = pytest.mark.browser

browser = browser_fixtures.browser
visitor = browser_fixtures.visitor

MATCH = "Your match in Graduate Mentoring 2027"
ADDRESS = "https://example.com/guides/running-a-first-mentoring-session-without-notes?from=mia"
FIRST = f"Hi Marco, before Thursday could you read this?\n{ADDRESS}.\nThanks!"
REPLY = "Read it. Let's start with the part about questions."
DESKTOP = {"width": 1280, "height": 900}


@pytest.mark.django_db(transaction=True)
def test_mentee_writes_with_a_link_and_the_mentor_reads_and_replies(visitor):
    p = make_personas()
    relationship = mia_and_marco(p)
    workspace = f"/relationships/{relationship.pk}/"
    messages = f"/relationships/{relationship.pk}/messages/"

    # Mia writes from her workspace, on her phone.
    mia = visitor("Mia, mentee")
    mia.page.set_viewport_size(PHONE)
    log_in(mia, p.mentee.email)
    mia.open(workspace)
    checked(mia, MATCH)
    expect(mia.page.get_by_role("heading", name="Messages")).to_be_visible()
    field(mia.page, "Your message").fill(FIRST)
    mia.page.get_by_role("button", name="Send the message").click()
    checked(mia, "Messages")
    expect(mia.page.get_by_role("status")).to_contain_text("Your message is sent.")
    assert Message.objects.get().body == FIRST

    # Marco, at his desk, is told on his home page and his workspace.
    marco = visitor("Marco, mentor")
    marco.page.set_viewport_size(DESKTOP)
    log_in(marco, p.mentor.email)
    unread = marco.page.get_by_role("link", name="1 unread message from Mia Mentee")
    expect(unread).to_be_visible()
    marco.open(workspace)
    expect(heading(marco.page, MATCH)).to_be_visible()
    marco.check_page()
    expect(marco.page.get_by_role("heading", name="Messages 1 unread")).to_be_visible()
    marco.page.get_by_role("link", name="Read 1 unread message").click()
    expect(heading(marco.page, "Messages")).to_be_visible()
    marco.check_page()
    link = marco.page.get_by_role("link", name=ADDRESS)
    expect(link).to_have_attribute("href", ADDRESS)  # the full stop after it is left out
    expect(link).to_have_attribute("rel", "nofollow noopener")
    expect(marco.page.locator(".chat-message", has_text="Hi Marco")).to_contain_text("New")

    # He replies; his home page has nothing unread any more.
    field(marco.page, "Your message").fill(REPLY)
    marco.page.get_by_role("button", name="Send the message").click()
    expect(heading(marco.page, "Messages")).to_be_visible()
    marco.check_page()
    expect(marco.page.get_by_text(REPLY)).to_be_visible()
    marco.open("/")
    expect(marco.page.get_by_role("heading", level=1)).to_be_visible()
    marco.check_page()
    expect(marco.page.get_by_text("unread message")).to_have_count(0)
    # The same conversation on his phone: nothing scrolls sideways.
    marco.page.set_viewport_size(PHONE)
    marco.open(messages)
    checked(marco, "Messages")

    # Mia sees his reply waiting for her.
    mia.open(workspace)
    checked(mia, MATCH)
    expect(mia.page.get_by_role("heading", name="Messages 1 unread")).to_be_visible()
    expect(mia.page.get_by_text(REPLY)).to_be_visible()
    mia.page.get_by_role("link", name="Read 1 unread message").click()
    checked(mia, "Messages")
    expect(mia.page.get_by_role("heading", name="Messages 1 unread")).to_have_count(0)
    assert not mia.unchecked_pages()
    assert not marco.unchecked_pages()
