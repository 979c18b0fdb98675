"""Odd input never answers 5xx: a generated walk over every form and id of the access matrix.

For every page the access matrix opens to someone, the page's forms are read from its HTML and
submitted (GET or POST, as the form says) with every field set to each boundary value: empty,
very long, a NUL byte, non-ASCII digits, a number too big for any column, an email address longer
than the column, and two values where one is expected. Every id in the URL and every pagination
cursor gets the same treatment. Each request runs in a savepoint that is rolled back. Any
exception or 5xx fails the walk, with the request that caused it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from django.db import transaction
from django.test import Client
from django.urls import reverse

from tandem.core.tests.test_access_matrix import (
    LOGIN,
    MATRIX,
    PERSONAS,
    AccessMatrixWalk,
    Go,
    project_url_patterns,
)

LONG = "x" * 5_000
LONG_EMAIL = "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".example"  # 264 characters
BOUNDARY_VALUES: tuple[str | list[str], ...] = (
    "",
    " ",
    LONG,
    LONG_EMAIL,
    "a\x00b",
    "²",
    "٣",
    "99999999999999999999999999",
    "-1",
    "1e309",
    ["1", "2"],
)
_ID_IN_PATH = re.compile(r"/(\d+)(?=/)")


@dataclass
class Form:
    method: str
    action: str
    fields: list[str] = field(default_factory=list)


class FormFinder(HTMLParser):
    """Every <form> of a page: its method, its action, the names of its fields."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._open: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            action = values.get("action") or values.get("hx-post") or self.page_url
            method = (values.get("method") or "get").upper()
            if values.get("hx-post"):
                method = "POST"
            self._open = Form(method, urljoin(self.page_url, action))
            self.forms.append(self._open)
        elif tag in ("input", "select", "textarea", "button") and self._open is not None:
            name = values.get("name")
            wanted = name != "csrfmiddlewaretoken" and values.get("type") != "file"
            if name and wanted and name not in self._open.fields:
                self._open.fields.append(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def forms_of(html: str, page_url: str) -> list[Form]:
    finder = FormFinder(page_url)
    finder.feed(html)
    finder.close()
    return finder.forms


def _data(fields: list[str], value: str | list[str]) -> dict[str, Any]:
    return dict.fromkeys(fields, value)


class OddInputTests(AccessMatrixWalk):
    def one_persona_per_url(self) -> Iterator[tuple[str, str, str, str]]:
        """(persona, method, name, URL) for each URL, as the first persona it does not turn away."""
        for route, name, pattern in project_url_patterns():
            method, expected_row = MATRIX[name]
            url = reverse(name, kwargs=self.kwargs_for(name, route, pattern))
            for persona, expected in zip(PERSONAS, expected_row, strict=True):
                if expected in (404, 403) or expected == LOGIN:
                    continue
                if isinstance(expected, Go) or expected == 200:
                    yield persona, method, name, url
                    break

    def send(self, persona: str, method: str, url: str, data: dict[str, Any]) -> str | None:
        """The problem a request caused (an exception or a 5xx), or None."""
        client = Client()
        client.cookies = copy.deepcopy(self.cookies[persona])
        try:
            with transaction.atomic():
                send = client.post if method == "POST" else client.get
                response = send(url, data)
                if response.streaming:  # an export fails as it is read: read it
                    b"".join(response.streaming_content)
                transaction.set_rollback(True)
        except Exception as error:  # any exception is the failure this test reports
            return f"{method} {url} as {persona} with {_shown(data)}: {error!r:.300}"
        if response.status_code >= 500:
            return f"{method} {url} as {persona} with {_shown(data)}: {response.status_code}"
        return None

    def test_every_form_survives_boundary_values(self):
        problems: list[str] = []
        forms_seen = 0
        for persona, method, _name, url in self.one_persona_per_url():
            if method == "POST":
                # A POST-only view has no page: post the ids and cursors every view reads.
                forms = [Form("POST", url, ["draft", "mentor", "status", "to", "remove", "role"])]
            else:
                response = self.request_as(persona, "GET", url)
                html = response.content.decode() if response.status_code == 200 else ""
                forms = forms_of(html, url) or [Form("GET", url, [])]
                # Every page also takes the list parameters, wanted or not.
                forms.append(Form("GET", url, ["after", "before", "last", "page", "q", "status"]))
            for form in forms:
                forms_seen += 1
                for value in BOUNDARY_VALUES:
                    data = _data(form.fields, value)
                    problem = self.send(persona, form.method, form.action, data)
                    if problem:
                        problems.append(problem)
        self.assertEqual(problems, [], "\n".join(problems))
        self.assertGreater(forms_seen, len(MATRIX))

    def test_every_id_in_a_path_survives_numbers_too_big_for_any_column(self):
        problems: list[str] = []
        paths_seen = 0
        for persona, method, _name, url in self.one_persona_per_url():
            if not _ID_IN_PATH.search(url):
                continue
            for huge in ("9223372036854775808", "99999999999999999999999999", "0"):
                paths_seen += 1
                odd_url = _ID_IN_PATH.sub(f"/{huge}", url)
                problem = self.send(persona, "POST" if method == "POST" else "GET", odd_url, {})
                if problem:
                    problems.append(problem)
        self.assertEqual(problems, [], "\n".join(problems))
        self.assertGreater(paths_seen, 20)


def _shown(data: dict[str, Any]) -> str:
    """The request's data, each value cut short enough to read."""
    return ", ".join(f"{key}={str(value)[:24]!r}" for key, value in data.items()) or "no data"
