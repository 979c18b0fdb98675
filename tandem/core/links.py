"""Links that people write (a referral pathway's web page or address): which may become an href.

A browser runs `javascript:` and renders `data:` links, and it ignores tabs, newlines and leading
spaces in a scheme (`java\tscript:` is `javascript:`), so the scheme is read the way it does.
"""

from __future__ import annotations

import re

LINK_SCHEMES = ("http", "https", "mailto", "tel")
# Schemes written without "//" that a person might type; any "scheme://" is a link too.
_BARE_SCHEMES = {"mailto", "tel", "sms", "javascript", "vbscript", "data", "file", "blob", "about"}
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):(//)?", re.IGNORECASE)
_IGNORED_BY_BROWSERS = re.compile(r"[\x00-\x20\x7f]")


def link_scheme(text: str) -> str | None:
    """The scheme `text` starts with when a browser would read it as a link, lower-cased."""
    compact = _IGNORED_BY_BROWSERS.sub("", text)
    match = _SCHEME.match(compact)
    if match is None:
        return None
    scheme = match.group(1).lower()
    return scheme if match.group(2) or scheme in _BARE_SCHEMES else None


def link_scheme_error(text: str) -> str | None:
    """A message naming the rule when `text` is a link of a scheme Tandem does not link to."""
    scheme = link_scheme(text)
    if scheme is None or scheme in LINK_SCHEMES:
        return None
    return (
        f"A link must start with http://, https://, mailto: or tel:, not “{scheme}:”. "
        "Write a phone number or an address as plain text."
    )


def safe_href(text: str) -> str | None:
    """`text` as an href if it is one link of an allowed scheme (no spaces), else None."""
    value = text.strip()
    if not value or _IGNORED_BY_BROWSERS.search(value) or link_scheme(value) not in LINK_SCHEMES:
        return None
    return value
