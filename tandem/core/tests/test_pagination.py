"""Keyset pages: every row once, in order, forwards and back, ties included."""

from __future__ import annotations

from django.test import TestCase

from tandem.accounts.models import User
from tandem.core.pagination import keyset_page

ORDER = ("full_name", "email", "pk")


class KeysetPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        # Ties on the first column (three of each name), and an empty name that sorts first.
        names = ["", "Ada", "Ada", "Ada", "Bo", "Bo", "Bo", "Cy", "Cy", "Cy", "Di"]
        User.objects.bulk_create(
            User(email=f"u{index:02d}@example.com", full_name=name)
            for index, name in reversed(list(enumerate(names)))
        )
        cls.expected = list(User.objects.order_by(*ORDER).values_list("pk", flat=True))

    def page(self, **params: str):
        return keyset_page(User.objects.all(), order=ORDER, params=params, per_page=3)

    def test_walking_forwards_sees_every_row_once_in_order(self):
        seen: list[int] = []
        page = self.page()
        self.assertFalse(page.has_previous)
        while True:
            seen += [u.pk for u in page.object_list]
            self.assertEqual(page.count, len(self.expected))
            if not page.has_next:
                break
            page = self.page(after=str(page.next_cursor))
            self.assertTrue(page.has_previous)
        self.assertEqual(seen, self.expected)

    def test_walking_backwards_from_the_last_page_sees_every_row_in_order(self):
        pages: list[list[int]] = []
        page = self.page(last="1")
        self.assertFalse(page.has_next)
        self.assertEqual(len(page.object_list), 3)
        while True:
            pages.insert(0, [u.pk for u in page.object_list])
            if not page.has_previous:
                break
            page = self.page(before=str(page.previous_cursor))
            self.assertTrue(page.has_next)
        # Each page is a run of the order; back at the start it is the full first page
        # (11 rows, 3 a page: it overlaps the one after it rather than showing 2 rows).
        self.assertEqual(pages[0], self.expected[:3])
        for rows in pages:
            start = self.expected.index(rows[0])
            self.assertEqual(rows, self.expected[start : start + 3])
        self.assertEqual(set().union(*pages), set(self.expected))

    def test_after_the_last_row_or_before_the_first_shows_the_first_page(self):
        first = [u.pk for u in self.page().object_list]
        for params in ({"after": str(self.expected[-1])}, {"before": str(self.expected[0])}):
            with self.subTest(params=params):
                self.assertEqual([u.pk for u in self.page(**params).object_list], first)

    def test_an_empty_list_is_one_empty_page(self):
        page = keyset_page(User.objects.none(), order=ORDER, params={"last": "1"}, per_page=3)
        self.assertEqual((page.object_list, page.count, page.has_other_pages), ([], 0, False))
