"""Which written links may become an href."""

from __future__ import annotations

import pytest

from tandem.core.links import link_scheme, link_scheme_error, safe_href


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://files.example",
    ],
)
def test_links_of_other_schemes_are_refused_and_never_linked(text):
    assert link_scheme_error(text) is not None
    assert safe_href(text) is None


@pytest.mark.parametrize(
    "text",
    ["https://eap.example/help", "http://hr.example", "mailto:people@example.org", "tel:+4480055"],
)
def test_web_mail_and_phone_links_are_linked(text):
    assert link_scheme_error(text) is None
    assert safe_href(text) == text


@pytest.mark.parametrize(
    "text", ["0800 555 0100 (free, 24/7)", "Phone: 0800 555", "Call or text 988", "Room 4.12"]
)
def test_plain_text_is_no_link_and_allowed(text):
    assert link_scheme(text) is None
    assert link_scheme_error(text) is None
    assert safe_href(text) is None


def test_a_link_with_text_around_it_is_shown_as_text():
    assert safe_href("https://eap.example or call 0800") is None


def test_the_message_names_the_rule_and_the_scheme():
    message = link_scheme_error("javascript:alert(1)")
    assert message is not None
    assert "http://, https://, mailto: or tel:" in message
    assert "javascript:" in message
