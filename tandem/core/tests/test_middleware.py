"""Every response carries the Content-Security-Policy and Permissions-Policy headers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.test import Client, TestCase, override_settings
from django.urls import path, reverse

from tandem.core.middleware import permissions_policy_header
from tandem.core.testing import make_personas


def _broken_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("broken/", _broken_view)]

REQUIRED_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def directives(header: str) -> dict[str, str]:
    parsed = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        parsed[name] = value
    return parsed


class SecurityHeaderTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def assert_headers(self, response: Any, what: str) -> None:
        policy = directives(response.headers.get("Content-Security-Policy", ""))
        for name, value in REQUIRED_DIRECTIVES.items():
            self.assertEqual(policy.get(name), value, f"{what}: {name}")
        self.assertNotIn("unsafe-inline", response.headers["Content-Security-Policy"], what)
        permissions = response.headers.get("Permissions-Policy", "")
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            self.assertIn(f"{feature}=()", permissions, f"{what}: {feature}")

    def test_pages_redirects_and_errors_carry_the_headers(self):
        anonymous = Client()
        self.assert_headers(anonymous.get(reverse("login")), "login page")
        response = anonymous.get(reverse("home"))
        self.assertEqual(response.status_code, 302)
        self.assert_headers(response, "redirect to log in")
        response = anonymous.get("/no-such-page/")
        self.assertEqual(response.status_code, 404)
        self.assert_headers(response, "404")
        response = anonymous.get(reverse("logout"))
        self.assertEqual(response.status_code, 405)
        self.assert_headers(response, "405")
        self.client.force_login(self.p.coordinator)
        response = self.client.get(reverse("programs:overview", args=[self.p.program.pk]))
        self.assertEqual(response.status_code, 200)
        self.assert_headers(response, "coordinator page")

    @override_settings(ROOT_URLCONF=__name__, DEBUG=False)
    def test_the_server_error_page_carries_the_headers(self):
        response = Client(raise_request_exception=False).get("/broken/")
        self.assertEqual(response.status_code, 500)
        self.assert_headers(response, "500")

    def test_a_bad_host_is_refused_with_the_headers(self):
        response = Client(HTTP_HOST="evil.example").get(reverse("login"))
        self.assertEqual(response.status_code, 400)
        self.assert_headers(response, "400")


def test_permissions_policy_header_lists_each_feature_with_its_origins():
    header = permissions_policy_header({"camera": [], "geolocation": ["self"]})
    assert header == "camera=(), geolocation=(self)"
