"""Messages between the members of a relationship: plain text with links made clickable (and
nothing else ever markup), refused when empty, too long or holding a NUL, never in a concluded
relationship, one row for a double submission, one collapsing notice per recipient; the list
paged by keyset in a flat number of queries, read state, unread counts; the coordinator sees
counts only."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import connection
from django.template import Context, Template
from django.test import SimpleTestCase, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tandem.accounts.models import Notification
from tandem.core.links import linkify
from tandem.core.testing import make_personas
from tandem.core.tests.test_rendered_text import PAYLOAD, payload_problems
from tandem.matching.tests.people import add_person
from tandem.mentorships.messaging import reading, selectors, sending
from tandem.mentorships.models import (
    Message,
    MessageReadState,
    RelationshipMember,
    RelationshipStatus,
)
from tandem.mentorships.models.messages import MAX_MESSAGE_CHARS
from tandem.mentorships.sessions.access import CONCLUDED_MESSAGE, NotAMember
from tandem.mentorships.tests.pairs import another_pair, mia_and_marco, relate
from tandem.programs.models import ParticipantStatus

LINK = 'rel="nofollow noopener"'


class LinkifyTests(SimpleTestCase):
    def test_payloads_stay_text(self):
        html = str(linkify(f"{PAYLOAD}\nhttps://example.com/{PAYLOAD}"))
        self.assertEqual(payload_problems(html), [])
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", html)
        # The address ends where the markup would start; what follows is escaped text.
        self.assertIn(f'<a href="https://example.com/" {LINK}>https://example.com/</a>', html)

    def test_a_script_address_is_never_a_link(self):
        for text in (
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
        ):
            html = str(linkify(text))
            self.assertNotIn("<a", html, text)
            self.assertEqual(payload_problems(html), [], text)
        # Behind a script scheme, only the web address after it is linked, as itself.
        html = str(linkify("javascript:https://example.com"))
        self.assertIn(f'<a href="https://example.com" {LINK}>', html)
        self.assertNotIn('href="javascript', html)

    def test_quotes_end_an_address_and_cannot_break_out_of_the_attribute(self):
        for quote in ('"', "'", "`"):
            text = f"https://example.com/a{quote} onmouseover={quote}alert(1)"
            html = str(linkify(text))
            self.assertIn(f'<a href="https://example.com/a" {LINK}>', html, quote)
            self.assertEqual(payload_problems(html), [], quote)

    def test_trailing_punctuation_is_left_out_of_the_address(self):
        cases = {
            "See https://example.com/a.": "https://example.com/a",
            "(see https://example.com/wiki/Foo_(bar))": "https://example.com/wiki/Foo_(bar)",
            "(https://example.com/x)": "https://example.com/x",
            "Really? https://example.com/?q=1&r=2!": "https://example.com/?q=1&amp;r=2",
            "https://example.com/a, https://example.org/b;": "https://example.com/a",
        }
        for text, href in cases.items():
            self.assertIn(f'<a href="{href}" {LINK}>', str(linkify(text)), text)
        self.assertEqual(str(linkify("https:// and http://")), "https:// and http://")

    def test_line_breaks_are_kept_and_every_address_is_linked(self):
        html = str(linkify("Hi Marco,\r\nread https://a.example and\nhttp://b.example"))
        self.assertEqual(html.count("<br>"), 2)
        self.assertEqual(html.count(LINK), 2)
        self.assertTrue(html.startswith("Hi Marco,<br>"))

    def test_the_template_filter_escapes_too(self):
        template = Template("{% load links %}<div>{{ text|linkify }}</div>")
        html = template.render(Context({"text": f"{PAYLOAD} https://example.com"}))
        self.assertEqual(payload_problems(html), [])
        self.assertIn(LINK, html)


class MessagesTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.relationship = mia_and_marco(cls.p)
        cls.mia = RelationshipMember.objects.get(
            relationship=cls.relationship, participant=cls.p.mentee_participant
        )
        cls.marco = RelationshipMember.objects.get(
            relationship=cls.relationship, participant=cls.p.mentor_participant
        )

    def send(self, body="Hello Marco", user=None, **kwargs):
        return sending.message_send(
            relationship_id=self.relationship.pk, user=user or self.p.mentee, body=body, **kwargs
        )

    @property
    def url(self):
        return reverse("mentorships:messages", args=[self.relationship.pk])

    def add_messages(self, count: int) -> None:
        start = timezone.now() - datetime.timedelta(days=30)
        Message.objects.bulk_create(
            Message(
                relationship=self.relationship,
                author=self.mia if n % 2 else self.marco,
                body=f"Message number {n}",
                created_at=start + datetime.timedelta(seconds=n),
            )
            for n in range(Message.objects.count(), Message.objects.count() + count)
        )


class MessageSendTests(MessagesTestCase):
    def test_a_member_writes_and_the_text_is_kept_as_written_less_the_blank_around(self):
        sent = self.send("  \r\nHi Marco,\r\n\r\nsee https://example.com.\r\n  ")
        self.assertTrue(sent.created)
        self.assertEqual(sent.message.body, "Hi Marco,\n\nsee https://example.com.")
        self.assertEqual(sent.message.author, self.mia)

    def test_empty_blank_nul_and_too_long_are_refused_naming_the_field(self):
        for body in ("", "   \n\t ", "a\x00b", "x" * (MAX_MESSAGE_CHARS + 1)):
            with self.assertRaises(ValidationError) as caught:
                self.send(body)
            self.assertIn("body", caught.exception.message_dict, repr(body[:10]))
        self.assertFalse(Message.objects.exists())
        self.assertFalse(Notification.objects.exists())
        # Line breaks count once, however the browser sent them.
        self.send("x\r\n" * (MAX_MESSAGE_CHARS // 2))
        self.assertEqual(Message.objects.count(), 1)

    def test_nobody_outside_the_relationship_writes_in_it(self):
        _, nia, _ = another_pair(self.p)
        for user in (nia, self.p.coordinator, self.p.admin, self.p.outsider):
            with self.assertRaises(NotAMember):
                self.send(user=user)
        # Someone who left the program is no longer a member.
        self.p.mentor_participant.status = ParticipantStatus.WITHDRAWN
        self.p.mentor_participant.save(update_fields=["status"])
        with self.assertRaises(NotAMember):
            self.send(user=self.p.mentor)
        self.assertFalse(Message.objects.exists())

    def test_writing_in_a_concluded_relationship_is_refused(self):
        self.relationship.status = RelationshipStatus.CONCLUDED
        self.relationship.save(update_fields=["status"])
        with self.assertRaisesMessage(ValidationError, CONCLUDED_MESSAGE):
            self.send()
        self.assertFalse(Message.objects.exists())

    def test_the_same_key_twice_makes_one_message(self):
        first = self.send(idempotency_key="abc123")
        again = self.send("Hello again", idempotency_key="abc123")
        self.assertFalse(again.created)
        self.assertEqual(again.message.pk, first.message.pk)
        self.assertEqual(Message.objects.count(), 1)
        self.send(idempotency_key="other")
        self.assertEqual(Message.objects.count(), 2)

    def test_one_unread_notice_per_recipient_however_many_messages(self):
        for n in range(3):
            self.send(f"Message {n}")
        notices = Notification.objects.filter(kind=sending.NOTICE_KIND)
        self.assertEqual([n.user for n in notices.all()], [self.p.mentor])
        notice = notices.get()
        self.assertEqual(notice.url, self.url)
        self.assertEqual(
            notice.text, "New messages in Graduate Mentoring 2027, the latest from Mia Mentee"
        )
        self.assertNotIn("Message", notice.text)
        # Marco reads them: the notice is read with them; the next message makes a new one.
        self.client.force_login(self.p.mentor)
        self.client.get(self.url)
        self.assertFalse(notices.unread().exists())
        self.send("One more")
        self.assertEqual(notices.count(), 2)
        self.assertEqual(
            notices.unread().get().text, "Mia Mentee wrote to you in Graduate Mentoring 2027"
        )

    def test_in_a_group_every_other_member_is_told_once(self):
        others = [
            add_person(self.p.program, f"g{n}@northwind.example", name=f"G{n}") for n in range(3)
        ]
        group = relate(others[0], self.p.mentor_participant, *others[1:])
        sending.message_send(relationship_id=group.pk, user=others[1].user, body="Hi all")
        told = Notification.objects.filter(kind=sending.NOTICE_KIND)
        self.assertEqual(
            sorted(n.user.email for n in told),
            sorted([others[0].user.email, others[2].user.email, self.p.mentor.email]),
        )


class MessagesPageTests(MessagesTestCase):
    def test_the_latest_page_comes_first_with_the_newest_at_the_bottom_and_older_ones_linked(self):
        self.add_messages(selectors.PER_PAGE + 5)
        self.client.force_login(self.p.mentee)
        page = self.client.get(self.url)
        shown = [m.body for m in page.context["page"].object_list]
        self.assertEqual(len(shown), selectors.PER_PAGE)
        self.assertEqual(shown[-1], f"Message number {selectors.PER_PAGE + 4}")
        self.assertEqual(shown[0], "Message number 5")
        self.assertContains(page, "Older messages")
        older = page.context["page"].previous_cursor
        page = self.client.get(self.url, {"before": older})
        shown = [m.body for m in page.context["page"].object_list]
        # Back at the start: the first page itself.
        self.assertEqual(shown[0], "Message number 0")
        self.assertNotContains(page, "Older messages")
        self.assertContains(page, "Newer messages")

    def test_links_are_clickable_and_markup_stays_text(self):
        self.send(f"Read https://example.com/guide. {PAYLOAD}")
        self.client.force_login(self.p.mentor)
        page = self.client.get(self.url)
        self.assertContains(page, f'<a href="https://example.com/guide" {LINK}>')
        self.assertEqual(payload_problems(page.content.decode()), [])

    def test_a_message_sent_from_the_page_and_submitted_twice_is_one_row(self):
        self.client.force_login(self.p.mentee)
        form = {"body": "Shall we meet on Thursday?", "idempotency_key": "k-1"}
        first = self.client.post(self.url, form)
        self.assertRedirects(first, f"{self.url}#latest")
        self.client.post(self.url, form)
        self.assertEqual(Message.objects.count(), 1)
        page = self.client.get(self.url)
        self.assertContains(page, "Shall we meet on Thursday?")

    def test_an_empty_message_is_refused_on_the_field(self):
        self.client.force_login(self.p.mentee)
        for body in ("", "   ", "a\x00b"):
            page = self.client.post(self.url, {"body": body})
            self.assertEqual(page.status_code, 200)
            self.assertContains(page, "Nothing was saved")
            self.assertContains(page, "Your message:")
        self.assertFalse(Message.objects.exists())

    def test_a_concluded_relationship_reads_but_takes_no_message(self):
        self.send("Before the end")
        self.relationship.status = RelationshipStatus.CONCLUDED
        self.relationship.save(update_fields=["status"])
        self.client.force_login(self.p.mentor)
        page = self.client.get(self.url)
        self.assertContains(page, "Before the end")
        self.assertContains(page, CONCLUDED_MESSAGE)
        self.assertNotContains(page, "Send the message")
        page = self.client.post(self.url, {"body": "After the end"})
        self.assertContains(page, CONCLUDED_MESSAGE)
        self.assertEqual(Message.objects.count(), 1)

    def test_opening_the_list_marks_read_and_the_unread_counts_follow(self):
        for n in range(3):
            self.send(f"Message {n}")
        self.send("Mine", user=self.p.mentor)
        workspace = reverse("mentorships:relationship", args=[self.relationship.pk])
        self.client.force_login(self.p.mentor)
        self.assertContains(self.client.get(workspace), "3 unread")
        self.assertContains(self.client.get(reverse("home")), "3 unread messages")
        page = self.client.get(self.url)
        self.assertContains(page, "New</span>", count=3)
        self.assertNotContains(self.client.get(workspace), "unread")
        self.assertNotContains(self.client.get(reverse("home")), "unread message")
        self.assertEqual(
            MessageReadState.objects.get(member=self.marco).last_read_message,
            Message.objects.latest("pk"),
        )
        # Read state never goes back: an older page opened later leaves it.
        first = Message.objects.earliest("pk")
        reading.messages_mark_read(member=self.marco, up_to_message_id=first.pk)
        self.assertEqual(
            MessageReadState.objects.get(member=self.marco).last_read_message,
            Message.objects.latest("pk"),
        )
        self.assertNotContains(self.client.get(self.url), "New</span>")
        # Mia has not read Marco's one message.
        self.client.force_login(self.p.mentee)
        self.assertContains(self.client.get(workspace), "1 unread")

    def test_the_list_query_count_is_flat_as_messages_double(self):
        self.client.force_login(self.p.mentor)
        counts = {}
        for total in (80, 160, 5000):
            self.add_messages(total - Message.objects.count())
            self.client.get(self.url)  # warm the session; the read state exists from here on
            with CaptureQueriesContext(connection) as queries:
                page = self.client.get(self.url)
            self.assertEqual(page.context["page"].count, total)
            older = page.context["page"].previous_cursor
            with CaptureQueriesContext(connection) as older_queries:
                page = self.client.get(self.url, {"before": older})
            self.assertEqual(len(page.context["page"].object_list), selectors.PER_PAGE)
            counts[total] = (len(queries), len(older_queries))
        # 1. the session  2. the user  3. the membership, with relationship and program
        # 4. how many messages  5. the page, with the authors (6. with a cursor: its row first)
        # 6. the read state  7. it moved on  8. notices about these messages marked read
        # 9. whether the user coordinates anywhere (the header's link)
        # 10. the unread notifications count (the header's Notifications link)
        self.assertEqual(set(counts.values()), {(10, 11)}, counts)


class CoordinatorCountsTests(MessagesTestCase):
    def test_the_coordinator_sees_how_many_and_when_never_what(self):
        overview = reverse(
            "mentorships:relationship_overview", args=[self.p.program.pk, self.relationship.pk]
        )
        self.client.force_login(self.p.coordinator)
        self.assertContains(self.client.get(overview), "No message yet.")
        self.send("A private worry of mine")
        self.send("Thanks for telling me", user=self.p.mentor)
        page = self.client.get(overview)
        today = timezone.localdate().strftime("%a %-d %b %Y")
        self.assertContains(page, f"2 messages, the latest on {today}.")
        self.assertNotContains(page, "private worry")
        self.assertNotContains(page, "Thanks for telling")
        self.assertEqual(self.client.get(self.url).status_code, 404)
