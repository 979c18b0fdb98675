"""Keyset pages: every row once, in order, forwards and back, ties included."""

from __future__ import annotations

from dataclasses import dataclass

from django.test import SimpleTestCase, TestCase

from tandem.accounts.models import User
from tandem.core.pagination import keyset_page, keyset_page_of_list

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


@dataclass(frozen=True)
class Row:
    pk: int


class KeysetPageOfListTests(SimpleTestCase):
    # A ranked list, not in pk order: the cursors follow the list's own order.
    rows = [Row(pk) for pk in (7, 3, 9, 1, 5, 2, 8)]

    def pks(self, **params: str) -> tuple[list[int], int | None, int | None]:
        page = keyset_page_of_list(self.rows, params=params, per_page=3)
        self.assertEqual(page.count, 7)
        return [r.pk for r in page.object_list], page.previous_cursor, page.next_cursor

    def test_walking_forward_and_back(self):
        self.assertEqual(self.pks(), ([7, 3, 9], None, 9))
        self.assertEqual(self.pks(after="9"), ([1, 5, 2], 1, 2))
        self.assertEqual(self.pks(after="2"), ([8], 8, None))
        self.assertEqual(self.pks(before="8"), ([1, 5, 2], 1, 2))
        self.assertEqual(self.pks(before="1"), ([7, 3, 9], None, 9))
        self.assertEqual(self.pks(last="1"), ([5, 2, 8], 5, None))

    def test_a_cursor_not_in_the_list_or_past_its_end_gives_the_first_page(self):
        for params in ({"after": "4"}, {"before": "4"}, {"after": "8"}, {"last": ""}):
            with self.subTest(params=params):
                self.assertEqual(self.pks(**params), ([7, 3, 9], None, 9))
