"""Journey: after their session, the mentee says it took place and writes her reflection, and
shares it; the mentor, prompted on his workspace, writes his own (private) and reads hers; the
coordinator sees that the session took place and nothing anyone wrote. On a 390 px phone: no
page scrolls sideways, and axe-core finds no serious or critical violation."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tandem.core.testing import make_personas
from tandem.core.tests import browser as browser_fixtures
from tandem.matching.tests.test_browser_phone import PHONE
from tandem.mentorships.models import Reflection, Session, SessionStatus
from tandem.mentorships.tests.pairs import HOUR, mia_and_marco
from tandem.mentorships.tests.test_browser_workspace import checked
from tandem.programs.tests.test_browser import field, log_in

pytestmark = pytest.mark.browser

browser = browser_fixtures.browser
visitor = browser_fixtures.visitor


@pytest.mark.django_db(transaction=True)
def test_after_the_session_both_reflect_and_the_mentor_reads_what_the_mentee_shared(visitor):
    p = make_personas()
    relationship = mia_and_marco(p)
    start = timezone.now().replace(microsecond=0) - 2 * HOUR
    session = Session.objects.create(
        relationship=relationship,
        status=SessionStatus.SCHEDULED,
        starts_at=start,
        ends_at=start + HOUR,
        proposed_by=p.mentee,
    )
    workspace = f"/relationships/{relationship.pk}/"
    local = start.astimezone(p.mentee.zone)  # both are on London's clock
    assert p.mentor.zone == p.mentee.zone
    session_heading = f"Session on {local:%A} {local.day} {local:%B %Y}"

    # Mia says the session took place, then writes her reflection and shares it.
    mia = visitor("Mia, mentee")
    mia.page.set_viewport_size(PHONE)
    log_in(mia, p.mentee.email)
    mia.open(workspace)
    checked(mia, "Your match in Graduate Mentoring 2027")
    mia.page.get_by_role("link", name=re.compile("take place")).click()
    checked(mia, session_heading)
    mia.page.get_by_role("button", name="Yes, we met").click()
    checked(mia, session_heading)
    field(mia.page, "What did I learn from my partner?").fill(
        "To ask for feedback early 🙂\nand often."
    )
    field(mia.page, "What will I do before next time?").fill("Draft my goal.")
    mia.page.get_by_label("Share my reflection with my partner(s)").check()
    mia.page.get_by_role("button", name="Save my reflection").click()
    checked(mia, session_heading)
    expect(mia.page.get_by_role("status")).to_contain_text("saved and shared")

    # Marco is asked for his reflection on his workspace; he writes it, and reads hers.
    marco = visitor("Marco, mentor")
    marco.page.set_viewport_size(PHONE)
    log_in(marco, p.mentor.email)
    marco.open(workspace)
    checked(marco, "Your match in Graduate Mentoring 2027")
    expect(marco.page.get_by_text("A reflection is waiting for you")).to_be_visible()
    marco.page.get_by_role("link", name=re.compile("Write your reflection")).click()
    checked(marco, session_heading)
    shared = marco.page.get_by_role("region", name="Reflections shared with you")
    expect(shared.get_by_text("To ask for feedback early 🙂")).to_be_visible()
    expect(shared.get_by_role("heading", name="Mia Mentee")).to_be_visible()
    field(marco.page, "What did I learn from my partner?").fill("How graduates see our tools.")
    field(marco.page, "What will I do before next time?").fill("Send Mia an article.")
    marco.page.get_by_role("button", name="Save my reflection").click()
    checked(marco, session_heading)
    expect(marco.page.get_by_role("status")).to_contain_text("Only you can see it")

    # His stays private: Mia's page does not show it.
    mia.open(f"/sessions/{session.pk}/")
    checked(mia, session_heading)
    expect(mia.page.get_by_text("How graduates see our tools.")).to_have_count(0)
    assert sorted(Reflection.objects.values_list("author__email", "shared")) == sorted(
        [(p.mentee.email, True), (p.mentor.email, False)]
    )

    # Cora, their coordinator, sees that the session took place, and nothing anyone wrote.
    cora = visitor("Cora, coordinator")
    cora.page.set_viewport_size(PHONE)
    log_in(cora, p.coordinator.email)
    cora.open(f"/programs/{p.program.pk}/relationships/{relationship.pk}/")
    checked(cora, "A relationship in Graduate Mentoring 2027")
    sessions = cora.page.get_by_role("region", name="Sessions")
    expect(sessions.get_by_role("cell", name="Held")).to_be_visible()
    page = cora.page.content()
    for written in ("To ask for feedback early", "Draft my goal.", "How graduates see our tools."):
        assert written not in page
