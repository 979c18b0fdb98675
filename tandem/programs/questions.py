"""What a valid answer to each kind of sign-up question is.

One parser serves the join form, the profile form and the CSV import, so that every path that
stores an answer applies the same rule and names it the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from tandem.programs.models import Question, QuestionKind

AnswerValue = str | int | float | list[str]

# ISO 639-1 codes offered by the "languages" question kind, with their English names.
LANGUAGES: dict[str, str] = {
    "ar": "Arabic",
    "bn": "Bengali",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "ms": "Malay",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sv": "Swedish",
    "sw": "Swahili",
    "ta": "Tamil",
    "th": "Thai",
    "tl": "Tagalog",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "zh": "Chinese",
}

# UTC offsets in use around the world, in hours (half and three-quarter hours included).
TIMEZONE_OFFSETS: list[float] = sorted(
    {float(h) for h in range(-12, 15)} | {-9.5, -3.5, 3.5, 4.5, 5.5, 5.75, 6.5, 8.75, 9.5, 10.5}
)


def timezone_label(offset: float) -> str:
    hours = int(abs(offset))
    minutes = round((abs(offset) - hours) * 60)
    sign = "+" if offset >= 0 else "−"
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


NUMBER_LIMIT = 10**12


def _number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise ValidationError("must be a number")
    if isinstance(raw, int | float):
        value = Decimal(str(raw))
    else:
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValidationError(f"must be a number, got {str(raw)!r}") from None
    if not value.is_finite():
        raise ValidationError(f"must be a number, got {str(raw)!r}")
    if abs(value) > NUMBER_LIMIT:
        # Beyond this an answer is a typo, and "1e5000" would not even fit in the database.
        raise ValidationError(f"must be between -{NUMBER_LIMIT:,} and {NUMBER_LIMIT:,}, got {raw}")
    return int(value) if value == value.to_integral_value() else float(value)


def _as_list(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [item.strip() for item in raw.split(";") if item.strip()]
    if isinstance(raw, Iterable):
        return [str(item).strip() for item in raw if str(item).strip()]
    raise ValidationError("must be a list")


def _choice(value: str, choices: Sequence[str]) -> str:
    """Match a choice case-insensitively and return its canonical spelling."""
    folded = {c.casefold(): c for c in choices}
    if value.casefold() not in folded:
        allowed = ", ".join(choices)
        raise ValidationError(f"{value!r} is not one of the choices ({allowed})")
    return folded[value.casefold()]


def is_blank(raw: Any) -> bool:
    return (
        raw is None
        or (isinstance(raw, str | list | tuple) and len(raw) == 0)
        or (isinstance(raw, str) and not raw.strip())
    )


def parse_answer(question: Question, raw: Any) -> AnswerValue | None:
    """Turn raw input (a form value or a CSV cell) into the stored answer, or None if blank.

    Raises ValidationError with a message that states the rule broken; a blank answer to a
    required question is the caller's to reject, since it depends on who is answering.
    """
    if is_blank(raw):
        return None
    kind = question.kind
    if kind == QuestionKind.SINGLE_CHOICE:
        return _choice(str(raw).strip(), question.choices)
    if kind == QuestionKind.MULTIPLE_CHOICE:
        picked = [_choice(item, question.choices) for item in _as_list(raw)]
        return sorted(set(picked), key=question.choices.index) or None
    if kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
        text = str(raw).strip()
        limit = 200 if kind == QuestionKind.SHORT_TEXT else 5000
        if len(text) > limit:
            raise ValidationError(f"must be at most {limit} characters, got {len(text)}")
        return text
    if kind == QuestionKind.NUMBER:
        return _number(raw)
    if kind == QuestionKind.SCALE:
        number = _number(raw)
        if number not in (1, 2, 3, 4, 5) or isinstance(number, float):
            raise ValidationError(f"must be a whole number from 1 to 5, got {raw}")
        return number
    if kind == QuestionKind.TIMEZONE:
        text = str(raw).strip().upper().removeprefix("UTC").replace("−", "-")
        if ":" in text:
            sign = -1 if text.startswith("-") else 1
            hours, _, minutes = text.lstrip("+-").partition(":")
            try:
                offset = sign * (int(hours) + int(minutes) / 60)
            except ValueError:
                raise ValidationError(
                    f"must be a UTC offset such as +2 or -5:30, got {raw}"
                ) from None
        else:
            try:
                offset = float(_number(text or "0"))
            except ValidationError:
                raise ValidationError(
                    f"must be a UTC offset such as +2 or -5:30, got {raw}"
                ) from None
        if offset not in TIMEZONE_OFFSETS:
            raise ValidationError(f"must be a UTC offset between -12 and +14, got {raw}")
        return int(offset) if offset == int(offset) else offset
    if kind == QuestionKind.LANGUAGES:
        codes = []
        by_name = {name.casefold(): code for code, name in LANGUAGES.items()}
        for item in _as_list(raw):
            code = item.casefold()
            code = by_name.get(code, code)
            if code not in LANGUAGES:
                raise ValidationError(f"{item!r} is not a known language (use codes like en, fr)")
            codes.append(code)
        return sorted(set(codes)) or None
    raise ValidationError(f"unknown question type {kind!r}")


def display_answer(question: Question, value: Any) -> str:
    if value is None:
        return ""
    if question.kind == QuestionKind.TIMEZONE:
        return timezone_label(float(value))
    if question.kind == QuestionKind.LANGUAGES:
        return ", ".join(LANGUAGES.get(code, code) for code in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
