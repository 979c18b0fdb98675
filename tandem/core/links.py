"""Links that people write (a referral pathway's web page or address): which may become an href;
and plain text (a message) with its web addresses made into links.

A browser runs `javascript:` and renders `data:` links, and it ignores tabs, newlines and leading
spaces in a scheme (`java\tscript:` is `javascript:`), so the scheme is read the way it does.
"""

from __future__ import annotations

import re

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

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


# A web address in running text: http(s)://, then anything but space, quotes and angle brackets
# (which end an address in prose, and could never start markup here: everything is escaped).
_WEB_ADDRESS = re.compile(r"https?://[^\s<>\"'`\x00-\x1f\x7f]+", re.IGNORECASE)
# Punctuation that ends a sentence rather than an address ("see https://example.com.").
_TRAILING = ".,;:!?*"
_PAIRS = {")": "(", "]": "[", "}": "{"}


def _address_end(candidate: str) -> str:
    """`candidate` less the punctuation that follows an address in prose: a full stop, a comma,
    or a closing bracket with no opening one inside the address ("(see https://x.org/a)")."""
    while candidate:
        last = candidate[-1]
        unopened = last in _PAIRS and candidate.count(_PAIRS[last]) < candidate.count(last)
        if last in _TRAILING or unopened:
            candidate = candidate[:-1]
        else:
            break
    return candidate


def _text_with_breaks(text: str) -> SafeString:
    """Plain text escaped, with each line break kept as <br>."""
    lines = [escape(line) for line in text.split("\n")]
    result = SafeString()
    for n, line in enumerate(lines):
        if n:
            result += _BREAK
        result += line
    return result


_BREAK = mark_safe("<br>\n")  # a constant: no text anyone wrote


def linkify(text: str) -> SafeString:
    """Plain text as HTML: everything escaped, line breaks kept, and each http(s) address a
    link with rel="nofollow noopener". Built from escape() and format_html() only, never by
    marking what a person wrote as safe."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    result = SafeString()
    position = 0
    for match in _WEB_ADDRESS.finditer(text):
        address = _address_end(match.group(0))
        if link_scheme(address) not in ("http", "https") or len(address) <= len("https://"):
            continue
        result += _text_with_breaks(text[position : match.start()])
        result += format_html('<a href="{}" rel="nofollow noopener">{}</a>', address, address)
        position = match.start() + len(address)
    result += _text_with_breaks(text[position:])
    return result
