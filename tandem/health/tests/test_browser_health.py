"""Journey: the coordinator opens the program's health page, sees a quiet relationship and
nudges it in one click; the mentee finds the nudge in her notifications and proposes a time
from it. On a 390 px phone: no page scrolls sideways, and axe-core finds no serious or
critical violation (charts included)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tandem.core.testing import make_personas
from tandem.core.tests import browser as browser_fixtures
from tandem.health.models import CoordinatorNudge
from tandem.matching.tests.test_browser_phone import PHONE
from tandem.mentorships.tests.pairs import mia_and_marco
from tandem.mentorships.tests.test_browser_workspace import checked
from tandem.programs.tests.test_browser import log_in

pytestmark = pytest.mark.browser

browser = browser_fixtures.browser
visitor = browser_fixtures.visitor


@pytest.mark.django_db(transaction=True)
def test_the_coordinator_nudges_a_quiet_relationship_and_the_mentee_receives_it(visitor):
    p = make_personas()
    relationship = mia_and_marco(p)
    relationship.started_on = timezone.localdate() - datetime.timedelta(days=45)
    relationship.save(update_fields=["started_on"])

    cora = visitor("Cora, coordinator")
    cora.page.set_viewport_size(PHONE)
    log_in(cora, p.coordinator.email)
    cora.open(f"/programs/{p.program.pk}/health/")
    checked(cora, "Health of Graduate Mentoring 2027")
    quiet = cora.page.get_by_role("region", name="Quiet relationships")
    expect(quiet.get_by_role("cell", name="45 days ago")).to_be_visible()
    quiet.get_by_role("button", name="Nudge Mia Mentee Marco Mentor").click()
    checked(cora, "Health of Graduate Mentoring 2027")
    expect(cora.page.locator(".messages")).to_contain_text("the mentee is emailed")
    assert CoordinatorNudge.objects.filter(relationship=relationship).count() == 1

    mia = visitor("Mia, mentee")
    mia.page.set_viewport_size(PHONE)
    log_in(mia, p.mentee.email)
    mia.open("/accounts/notifications/")
    checked(mia, "Notifications")
    mia.page.get_by_role(
        "link", name="Your coordinator noticed your mentoring has been quiet"
    ).click()
    checked(mia, "Propose a session")
