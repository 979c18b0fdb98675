"""The guard the journeys rely on: a page that breaks the Content-Security-Policy fails
`check_page()`, naming the directive and what was blocked."""

from __future__ import annotations

import pytest

from tandem.core.tests import browser as browser_fixtures

pytestmark = pytest.mark.browser

browser = browser_fixtures.browser
visitor = browser_fixtures.visitor

# A page that passes axe-core but holds an inline script and a style attribute.
PROBE = (
    "<!doctype html><html lang='en'><head><title>Probe</title>"
    "<link rel='stylesheet' href='/static/css/tandem.css'></head>"
    "<body><main><h1 style='color: red'>Probe</h1>"
    "<script>document.title = 'ran';</script></main></body></html>"
)


@pytest.mark.django_db(transaction=True)
def test_an_inline_script_under_the_policy_fails_the_journey(visitor, live_server):
    person = visitor("anyone")
    # The policy the site sends, on a page the site would never serve.
    policy = person.page.request.get(live_server.url + "/accounts/login/").headers[
        "content-security-policy"
    ]
    person.page.route(
        "**/csp-probe/",
        lambda route: route.fulfill(
            body=PROBE, content_type="text/html", headers={"Content-Security-Policy": policy}
        ),
    )
    person.open("/csp-probe/")
    assert person.page.title() == "Probe"  # the browser did block the script
    with pytest.raises(pytest.fail.Exception, match=r"script-src-elem blocked inline") as failed:
        person.check_page()
    assert "style-src-attr blocked inline" in str(failed.value)


@pytest.mark.django_db(transaction=True)
def test_a_page_of_the_site_passes_the_policy_check(visitor):
    person = visitor("anyone")
    person.open("/accounts/login/")
    person.check_page()
    assert person.page.evaluate(browser_fixtures._CSP_VIOLATIONS) == []
