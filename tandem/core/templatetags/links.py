"""`{% load links %}`: `{{ message.body|linkify }}` shows plain text with its web addresses as
links (see tandem.core.links.linkify); nothing a person wrote becomes markup."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from tandem.core import links

register = template.Library()


@register.filter(is_safe=False)
def linkify(text: object) -> SafeString:
    return links.linkify("" if text is None else str(text))
