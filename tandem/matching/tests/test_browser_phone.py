"""Every role's main pages on a phone: 390 px wide, no sideways scrolling, axe-core clean.

A wide table may scroll inside its own box (.table-scroll); the page itself must not. Long
names, addresses and answers are what push a page wider, so the people here have them.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import ViewportSize, expect

from tandem.core.testing import make_matching_fixture, make_personas, make_user
from tandem.core.tests import browser as browser_fixtures
from tandem.core.tests.browser import Visitor
from tandem.matching.tests.people import add_mentor, add_person
from tandem.programs.models import Participant, ParticipantRole, ParticipantStatus, Program
from tandem.programs.tests.test_browser import log_in

pytestmark = pytest.mark.browser

browser = browser_fixtures.browser
visitor = browser_fixtures.visitor

PHONE: ViewportSize = {"width": 390, "height": 844}
PAGE_WIDTH = "() => document.documentElement.scrollWidth"
# For the failure message: the outermost elements that reach past the right edge.
TOO_WIDE = """(limit) => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > limit + 1)
    .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= limit + 1)
    .slice(0, 5).map(e => e.outerHTML.slice(0, 160))"""


def on_a_phone(person: Visitor, email: str) -> Visitor:
    person.page.set_viewport_size(PHONE)
    log_in(person, email)
    return person


def assert_fits(person: Visitor, path: str) -> None:
    person.open(path)
    expect(person.page.locator("h1")).to_be_visible()
    width = person.page.evaluate(PAGE_WIDTH)
    if width > PHONE["width"]:
        culprits = person.page.evaluate(TOO_WIDE, PHONE["width"])
        pytest.fail(f"{path} is {width} px wide on a {PHONE['width']} px phone: {culprits}")
    person.check_page()


@pytest.mark.django_db(transaction=True)
def test_every_roles_main_pages_fit_a_phone(visitor):
    p = make_personas()
    fixture = make_matching_fixture(p)
    program: Program = p.program
    # What makes pages wide: a long address in the participants table, long answers, and a
    # mentee (Nia) who browses mentors with long answers.
    long_email = "maximiliana.konstantinopoulou-weatherington@northwind-engineering.example"
    Participant.objects.create(
        program=program,
        user=make_user(long_email, "Maximiliana Konstantinopoulou-Weatherington"),
        role=ParticipantRole.MENTEE,
        status=ParticipantStatus.INVITED,
    )
    for i in range(12):
        add_mentor(program, f"mentor{i}@northwind.example", capacity=2, department="Engineering")
    nia = add_person(program, "nia@northwind.example", department="Engineering")
    args = [program.pk]

    coordinator = on_a_phone(visitor("coordinator"), p.coordinator.email)
    for path in [
        reverse("programs:list"),
        reverse("programs:overview", args=args),
        reverse("programs:participants", args=args),
        reverse("programs:questions", args=args),
        reverse("programs:invitations", args=args),
        reverse("matching:rules", args=args),
        reverse("matching:runs", args=args),
        reverse("matching:draft", args=[program.pk, fixture.draft.pk]),
    ]:
        assert_fits(coordinator, path)

    mentee = on_a_phone(visitor("mentee"), p.mentee.email)
    for path in [
        reverse("home"),
        reverse("programs:my_program", args=args),
        reverse("matching:browse", args=args),
        reverse("mentorships:relationship", args=[fixture.relationship.pk]),
    ]:
        assert_fits(mentee, path)

    browsing = on_a_phone(visitor("browsing mentee"), nia.user.email)
    assert_fits(browsing, reverse("matching:browse", args=args))
    expect(browsing.page.get_by_label("Search names and answers")).to_be_visible()
    cards = browsing.page.get_by_role("list", name="Mentors").get_by_role("listitem")
    expect(cards).to_have_count(settings.MENTORS_PER_PAGE)

    mentor = on_a_phone(visitor("mentor"), p.mentor.email)
    for path in [reverse("home"), reverse("matching:my_requests", args=args)]:
        assert_fits(mentor, path)
