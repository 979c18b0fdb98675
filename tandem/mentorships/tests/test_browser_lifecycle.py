"""Journey: the mentee pauses the relationship with a reason and the mentor resumes it; she
concludes it and both write a closing reflection (hers shared, his private); later he asks to
start again and she accepts, and everything they had is still there. The coordinator sees the
history of who changed what and when, never why. On a 390 px phone: no page scrolls sideways,
and axe-core finds no serious or critical violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tandem.core.testing import make_personas
from tandem.core.tests import browser as browser_fixtures
from tandem.matching.tests.test_browser_phone import PHONE
from tandem.mentorships.models import ClosingReflection, Relationship, RelationshipStatus
from tandem.mentorships.tests.journal import held_session
from tandem.mentorships.tests.pairs import mia_and_marco
from tandem.mentorships.tests.test_browser_workspace import checked
from tandem.programs.tests.test_browser import field, log_in

pytestmark = pytest.mark.browser

browser = browser_fixtures.browser
visitor = browser_fixtures.visitor

MATCH = "Your match in Graduate Mentoring 2027"


def status_of(relationship: Relationship) -> str:
    return Relationship.objects.get(pk=relationship.pk).status


@pytest.mark.django_db(transaction=True)
def test_pause_resume_conclude_reflect_and_reignite(visitor):
    p = make_personas()
    relationship = mia_and_marco(p)
    held = held_session(relationship)
    workspace = f"/relationships/{relationship.pk}/"

    mia = visitor("Mia, mentee")
    mia.page.set_viewport_size(PHONE)
    log_in(mia, p.mentee.email)
    marco = visitor("Marco, mentor")
    marco.page.set_viewport_size(PHONE)
    log_in(marco, p.mentor.email)

    # Mia pauses, with her reason; Marco reads it and resumes.
    mia.open(workspace)
    checked(mia, MATCH)
    mia.page.get_by_role("link", name="Pause", exact=True).click()
    checked(mia, "Pause the relationship")
    field(mia.page, "Why pause").fill("Exams in May; back after, promise 📚")
    mia.page.get_by_role("button", name="Pause").click()
    checked(mia, MATCH)
    expect(mia.page.locator(".messages")).to_contain_text("The relationship is paused.")
    marco.open(workspace)
    checked(marco, MATCH)
    expect(marco.page.get_by_text("Exams in May; back after, promise 📚")).to_be_visible()
    marco.page.get_by_role("link", name="Resume", exact=True).click()
    checked(marco, "Resume the relationship")
    marco.page.get_by_role("button", name="Resume").click()
    checked(marco, MATCH)
    assert status_of(relationship) == RelationshipStatus.ACTIVE

    # Mia concludes; each writes a closing reflection, hers shared, his private.
    mia.open(workspace)
    checked(mia, MATCH)
    mia.page.get_by_role("link", name="Conclude the relationship").click()
    checked(mia, "Conclude the relationship")
    field(mia.page, "A word for your partner (optional)").fill("Thank you, Marco!")
    mia.page.get_by_role("button", name="Conclude").click()
    checked(mia, MATCH)
    expect(mia.page.get_by_text("This relationship has concluded.").first).to_be_visible()
    mia.page.get_by_role("link", name="Write your closing reflection").click()
    checked(mia, "Your closing reflection")
    field(mia.page, "What went well?").fill("Coming with an agenda, every time.")
    field(mia.page, "What did I learn?").fill("To ask for feedback early.")
    mia.page.get_by_label("Yes").check()
    mia.page.get_by_label("Share my closing reflection with my partner(s)").check()
    mia.page.get_by_role("button", name="Save my closing reflection").click()
    checked(mia, MATCH)
    expect(mia.page.locator(".messages")).to_contain_text("shared with your partner")

    marco.open(workspace)
    checked(marco, MATCH)
    expect(marco.page.get_by_text("Coming with an agenda, every time.")).to_be_visible()
    marco.page.get_by_role("link", name="Write your closing reflection").click()
    checked(marco, "Your closing reflection")
    field(marco.page, "What went well?").fill("Seeing her confidence grow.")
    marco.page.get_by_role("button", name="Save my closing reflection").click()
    checked(marco, MATCH)
    expect(marco.page.locator(".messages")).to_contain_text("Only you can see it")
    milestones = marco.page.get_by_role("list", name="Milestones")
    expect(milestones.locator('[aria-current="step"]')).to_contain_text("Concluded")

    mia.open(workspace)
    checked(mia, MATCH)
    expect(mia.page.get_by_text("Seeing her confidence grow.")).to_have_count(0)

    # The coordinator sees who changed the status and when; no reason, no reflection.
    cora = visitor("Cora, coordinator")
    cora.page.set_viewport_size(PHONE)
    log_in(cora, p.coordinator.email)
    cora.open(f"/programs/{p.program.pk}/relationships/{relationship.pk}/")
    checked(cora, "A relationship in Graduate Mentoring 2027")
    history = cora.page.get_by_role("region", name="Status history")
    expect(history.get_by_role("cell", name="Active → Concluded")).to_be_visible()
    expect(cora.page.get_by_text("2 of 2 closing reflections written")).to_be_visible()
    page = cora.page.content()
    for written in ("Exams in May", "Thank you, Marco", "Coming with an agenda", "confidence"):
        assert written not in page

    # Later Marco asks to start again; Mia accepts; their session is still there.
    marco.open(workspace)
    checked(marco, MATCH)
    marco.page.get_by_role("button", name="Ask to start again").click()
    checked(marco, MATCH)
    expect(marco.page.get_by_text("your partner is asked to accept")).to_be_visible()
    mia.open(workspace)
    checked(mia, MATCH)
    expect(mia.page.get_by_text("Marco Mentor would like to start again.")).to_be_visible()
    mia.page.get_by_role("button", name="Accept and start again").click()
    checked(mia, MATCH)
    expect(mia.page.locator(".messages")).to_contain_text("active again")
    assert status_of(relationship) == RelationshipStatus.ACTIVE
    expect(mia.page.get_by_role("link", name=re.compile("Pause"))).to_be_visible()
    assert relationship.sessions.filter(pk=held.pk).exists()
    assert ClosingReflection.objects.filter(relationship=relationship).count() == 2
