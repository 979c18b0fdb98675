"""Journey: the mentee sets a private goal and a shared one with tasks, ticks a task; the mentor
sees only the shared goal (its title, criteria, tasks and progress, not why it matters to her).
On a 390 px phone: no page scrolls sideways, and axe-core finds no serious or critical
violation on any page visited."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tandem.core.testing import make_personas
from tandem.core.tests import browser as browser_fixtures
from tandem.matching.tests.test_browser_phone import PHONE
from tandem.mentorships.models import Goal, GoalSharing
from tandem.mentorships.tests.pairs import mia_and_marco
from tandem.mentorships.tests.test_browser_workspace import checked
from tandem.programs.demo import GOAL_PROMPTS
from tandem.programs.tests.test_browser import field, log_in

pytestmark = pytest.mark.browser

browser = browser_fixtures.browser
visitor = browser_fixtures.visitor

PRIVATE_TITLE = "Get better at saying no"
PRIVATE_WHY = "I take on too much and my evenings vanish"
SHARED_TITLE = "Lead the spring onboarding project"
SHARED_WHY = "I want to know whether leading suits me before I apply"
CRITERIA = "The project ships by May and two teammates would work with me again"
MATCH = "Your match in Graduate Mentoring 2027"


@pytest.mark.django_db(transaction=True)
def test_mentee_sets_a_private_and_a_shared_goal_and_the_mentor_sees_only_the_shared(visitor):
    p = make_personas()
    relationship = mia_and_marco(p)
    p.program.goal_prompts = GOAL_PROMPTS
    p.program.save(update_fields=["goal_prompts"])
    workspace = f"/relationships/{relationship.pk}/"

    mia = visitor("Mia, mentee")
    mia.page.set_viewport_size(PHONE)
    log_in(mia, p.mentee.email)
    mia.open(workspace)
    checked(mia, MATCH)

    # Prompted first, she sets a private goal from the program's prompts.
    mia.page.get_by_role("link", name="Set your first goal").click()
    checked(mia, "Set a goal")
    expect(mia.page.get_by_text("Make it specific")).to_be_visible()
    field(mia.page, "What I want to achieve").fill(PRIVATE_TITLE)
    field(mia.page, "Why it matters to me").fill(PRIVATE_WHY)
    mia.page.get_by_role("button", name="Set the goal").click()
    checked(mia, MATCH)
    expect(mia.page.get_by_role("status")).to_contain_text("Your goal is set.")
    # It has no task yet: the next prompt says so, and leads to the task field.
    mia.page.get_by_role("link", name="Add a task to your goal").click()
    expect(mia.page.get_by_label("A new task")).to_be_focused()
    mia.page.get_by_label("A new task").fill("Say no to one meeting this week")
    mia.page.get_by_role("button", name="Add the task").click()
    checked(mia, MATCH)

    # A second goal, shared with Marco, with its tasks.
    mia.page.get_by_role("link", name="Set a goal", exact=True).click()
    checked(mia, "Set a goal")
    field(mia.page, "What I want to achieve").fill(SHARED_TITLE)
    field(mia.page, "Why it matters to me").fill(SHARED_WHY)
    field(mia.page, "How I will know I got there").fill(CRITERIA)
    mia.page.get_by_role("radio", name="Me and my partner(s)").check()
    field(mia.page, "Tasks, one a line").fill("Ask for the project\nPlan the first week")
    mia.page.get_by_role("button", name="Set the goal").click()
    checked(mia, MATCH)
    # She ticks a task: the goal is half done.
    task = mia.page.get_by_role("button", name="Ask for the project", exact=True)
    expect(task).to_have_attribute("aria-pressed", "false")
    task.click()
    checked(mia, MATCH)
    expect(
        mia.page.get_by_role("button", name="Ask for the project", exact=True)
    ).to_have_attribute("aria-pressed", "true")
    shared = mia.page.locator("article", has_text=SHARED_TITLE)
    expect(shared.get_by_text("50% (from the tasks done)")).to_be_visible()
    goals = {g.title: g.sharing for g in Goal.objects.all()}
    assert goals == {PRIVATE_TITLE: GoalSharing.PRIVATE, SHARED_TITLE: GoalSharing.PARTNERS}

    # Marco sees the shared goal and its tasks; nothing of the private one, nor why.
    marco = visitor("Marco, mentor")
    marco.page.set_viewport_size(PHONE)
    log_in(marco, p.mentor.email)
    marco.open(workspace)
    checked(marco, MATCH)
    expect(
        marco.page.get_by_role("heading", name="Goals Mia Mentee shares with you")
    ).to_be_visible()
    expect(marco.page.get_by_role("heading", name=SHARED_TITLE)).to_be_visible()
    expect(marco.page.get_by_text(CRITERIA)).to_be_visible()
    expect(marco.page.get_by_text("Ask for the project (done)")).to_be_visible()
    body = marco.page.content()
    for hidden in (PRIVATE_TITLE, PRIVATE_WHY, SHARED_WHY, "Say no to one meeting"):
        assert hidden not in body
    # He cannot tick her tasks.
    expect(marco.page.get_by_role("button", name="Ask for the project", exact=True)).to_have_count(
        0
    )
    assert not mia.unchecked_pages()
    assert not marco.unchecked_pages()
