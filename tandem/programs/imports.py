"""CSV import of a program's participants: all or nothing, idempotent by email.

Columns: `email`, `role` (mentor, mentee or both), optional `name` and `capacity`, then one
column per question slug; `;` separates the values of a multiple-choice or languages answer.
Every cell is checked before anything is written: one bad cell rejects the whole file, with a
message for each problem naming its row (as a spreadsheet numbers it, header = 1) and column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone

from tandem.accounts.models import User, email_too_long, normalize_email
from tandem.programs.models import (
    Answer,
    Participant,
    ParticipantRole,
    ParticipantStatus,
    Program,
    Question,
)
from tandem.programs.questions import AnswerValue, parse_answer
from tandem.programs.services import user_get_or_create_many

MAX_ERRORS_SHOWN = 50
MAX_ROWS = 50_000
# SQLite allows a limited number of parameters in one statement: keep IN lists short there.


def _chunk_size() -> int:
    return 900 if connection.vendor == "sqlite" else 5000


BASE_COLUMNS = ("email", "name", "role", "capacity")


class ImportFailed(Exception):
    """The file was rejected; nothing was written. `errors` say where and why."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:3]))
        self.errors = errors


@dataclass
class ImportRow:
    line: int
    email: str
    name: str
    role: str
    capacity: int | None
    answers: dict[Question, AnswerValue | None] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int

    def summary(self) -> str:
        return (
            f"Imported {self.created + self.updated + self.unchanged} participants: "
            f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged."
        )


def _decode(file: IO[bytes] | IO[str]) -> Iterator[str]:
    raw = file.read()
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw.count(b"\n", 0, error.start) + 1
            raise ImportFailed(
                [
                    f"Row {line}: not UTF-8 text (byte {error.start}). "
                    "Save the file as “CSV UTF-8” and upload it again."
                ]
            ) from None
    else:
        text = raw.removeprefix("\ufeff")
    return iter(io.StringIO(text, newline=""))


def parse_participants_csv(program: Program, file: IO[bytes] | IO[str]) -> list[ImportRow]:
    """Read and check the whole file; raise ImportFailed listing every problem found."""
    reader = csv.reader(_decode(file))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed(["The file is empty: it needs a header row."]) from None
    except csv.Error as error:
        raise ImportFailed([f"Row 1: not valid CSV ({error})."]) from None
    columns = [h.strip().lower() for h in header]
    questions = {q.slug: q for q in program.questions.all()}
    errors: list[str] = []
    # The header is row 1: its problems name it like any other row's.
    for required in ("email", "role"):
        if required not in columns:
            errors.append(f"Row 1 (header): missing column “{required}”.")
    seen_columns: set[str] = set()
    for name in columns:
        if name in seen_columns:
            errors.append(f"Row 1 (header), column “{name}”: appears twice.")
        seen_columns.add(name)
        if name and name not in BASE_COLUMNS and name not in questions:
            known = ", ".join([*BASE_COLUMNS, *questions])
            errors.append(
                f"Row 1 (header), column “{name}”: not a question of this program (known: {known})."
            )
    if errors:
        raise ImportFailed(errors)

    rows: list[ImportRow] = []
    first_line_of: dict[str, int] = {}
    allowed_roles = program.roles_allowed
    try:
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                errors.append(f"Row {line}: the file has more than {MAX_ROWS} rows; split it.")
                break
            if len(cells) != len(columns):
                errors.append(
                    f"Row {line}: has {len(cells)} cells but the header has {len(columns)}."
                )
                continue
            record = dict(zip(columns, cells, strict=True))
            row_errors: list[str] = []

            def fail(
                column: str, message: str, line: int = line, errs: list[str] = row_errors
            ) -> None:
                errs.append(f"Row {line}, column “{column}”: {message}")

            # PostgreSQL cannot store a NUL in text; a spreadsheet never means one.
            with_nul = [column for column, cell in record.items() if "\x00" in cell]
            for column in with_nul:
                fail(column, "contains a NUL character (\\0), which text cannot hold.")
            if with_nul:
                errors.extend(row_errors)
                continue
            email = normalize_email(record.get("email", ""))
            try:
                validate_email(email)
            except ValidationError:
                fail("email", f"“{record.get('email', '')[:80]}” is not an email address.")
            else:
                if too_long := email_too_long(email):
                    fail("email", too_long)
                elif email in first_line_of:
                    fail("email", f"{email} is also on row {first_line_of[email]}.")
                else:
                    first_line_of[email] = line
            role = record.get("role", "").strip().lower()
            if role not in ParticipantRole.values:
                fail("role", f"“{record.get('role', '')}” is not a role (mentor, mentee, both).")
            elif role not in allowed_roles:
                fail("role", f"{role} is not a role in this program ({', '.join(allowed_roles)}).")
            capacity: int | None = None
            raw_capacity = record.get("capacity", "").strip()
            if raw_capacity:
                # ASCII digits only: "²" is a digit that int() refuses, "٣" one it reads as 3.
                if not re.fullmatch(r"[0-9]{1,3}", raw_capacity) or int(raw_capacity) > 50:
                    fail("capacity", f"must be a whole number from 0 to 50, got “{raw_capacity}”.")
                else:
                    capacity = int(raw_capacity)
            if capacity is None and role in (ParticipantRole.MENTOR, ParticipantRole.BOTH):
                capacity = program.default_mentor_capacity
            if role == ParticipantRole.MENTEE:
                capacity = None
            name = record.get("name", "").strip()
            if len(name) > 150:
                fail("name", "must be at most 150 characters.")
            answers: dict[Question, AnswerValue | None] = {}
            for slug, question in questions.items():
                if slug not in record:
                    continue
                try:
                    value = parse_answer(question, record[slug])
                except ValidationError as error:
                    fail(slug, " ".join(error.messages) + ".")
                    continue
                if role in ParticipantRole.values and not question.asked_of(role):
                    if value is not None:
                        asked = question.get_audience_display().lower()
                        fail(
                            slug, f"this question is for {asked} only; leave it empty for a {role}."
                        )
                    continue
                answers[question] = value
            errors.extend(row_errors)
            if not row_errors:
                rows.append(ImportRow(line, email, name, role, capacity, answers))
    except csv.Error as error:
        errors.append(f"Row {reader.line_num}: not valid CSV ({error}).")
    if errors:
        shown = errors[:MAX_ERRORS_SHOWN]
        if len(errors) > MAX_ERRORS_SHOWN:
            shown.append(f"… and {len(errors) - MAX_ERRORS_SHOWN} more problems.")
        raise ImportFailed(shown)
    if not rows:
        raise ImportFailed(["The file has a header but no participants."])
    return rows


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    size = _chunk_size()
    for start in range(0, len(items), size):
        yield items[start : start + size]


@transaction.atomic
def participants_import_csv(
    *, program: Program, file: IO[bytes] | IO[str], imported_by: User
) -> ImportResult:
    """Check the whole file, then write it in one transaction. Re-importing changes nothing.

    New people are added as invited; people already in the program get the file's role,
    capacity and answers (their status is kept). Nobody is emailed: the coordinator sends
    invitations from the invitations page when ready.
    """
    rows = parse_participants_csv(program, file)
    names = {row.email: row.name for row in rows if row.name}
    users = user_get_or_create_many([row.email for row in rows], names=names)
    # Fill in names for accounts that had none; never overwrite a name a person chose.
    unnamed = [u for e, u in users.items() if not u.full_name and names.get(e)]
    for user in unnamed:
        user.full_name = names[user.email]
    User.objects.bulk_update(unnamed, ["full_name"], batch_size=_chunk_size())

    user_ids = [u.pk for u in users.values()]
    existing: dict[int, Participant] = {}
    for chunk in _chunks(user_ids):
        for p in Participant.objects.filter(program=program, user_id__in=chunk):
            existing[p.user_id] = p
    now = timezone.now()
    to_create: list[Participant] = []
    to_update: list[Participant] = []
    for row in rows:
        user = users[row.email]
        participant = existing.get(user.pk)
        if participant is None:
            to_create.append(
                Participant(
                    program=program,
                    user=user,
                    role=row.role,
                    capacity=row.capacity,
                    status=ParticipantStatus.INVITED,
                )
            )
        elif (participant.role, participant.capacity) != (row.role, row.capacity):
            participant.role, participant.capacity = row.role, row.capacity
            participant.updated_at = now
            to_update.append(participant)
    # ignore_conflicts: a concurrent import of the same people adds them once, without an error.
    Participant.objects.bulk_create(to_create, batch_size=_chunk_size(), ignore_conflicts=True)
    Participant.objects.bulk_update(
        to_update, ["role", "capacity", "updated_at"], batch_size=_chunk_size()
    )

    participant_ids: dict[int, int] = {}
    for chunk in _chunks(user_ids):
        participant_ids.update(
            Participant.objects.filter(program=program, user_id__in=chunk).values_list(
                "user_id", "pk"
            )
        )
    changed = _answers_replace(rows, users, participant_ids) | {p.pk for p in to_update}
    updated = len(changed & {p.pk for p in existing.values()})
    return ImportResult(created=len(to_create), updated=updated, unchanged=len(existing) - updated)


def _answers_replace(
    rows: list[ImportRow], users: dict[str, User], participant_ids: dict[int, int]
) -> set[int]:
    """Make stored answers equal the file's, for the questions that have a column.

    Returns the participants whose answers changed.
    """
    question_ids = {q.pk for row in rows for q in row.answers}
    if not question_ids:
        return set()
    pids = [participant_ids[users[row.email].pk] for row in rows]
    stored: dict[tuple[int, int], Answer] = {}
    for chunk in _chunks(pids):
        for answer in Answer.objects.filter(participant_id__in=chunk, question_id__in=question_ids):
            stored[(answer.participant_id, answer.question_id)] = answer
    to_create: list[Answer] = []
    to_update: list[Answer] = []
    to_delete: list[int] = []
    now = timezone.now()
    for row in rows:
        pid = participant_ids[users[row.email].pk]
        for question, value in row.answers.items():
            found = stored.get((pid, question.pk))
            if value is None:
                if found is not None:
                    to_delete.append(found.pk)
            elif found is None:
                to_create.append(Answer(participant_id=pid, question=question, value=value))
            elif found.value != value:
                found.value, found.updated_at = value, now
                to_update.append(found)
    changed = {a.participant_id for a in to_create} | {a.participant_id for a in to_update}
    deleted = set(to_delete)
    changed |= {stored_pid for (stored_pid, _), a in stored.items() if a.pk in deleted}
    for chunk in _chunks(to_delete):
        Answer.objects.filter(pk__in=chunk).delete()
    Answer.objects.bulk_create(to_create, batch_size=_chunk_size())
    Answer.objects.bulk_update(to_update, ["value", "updated_at"], batch_size=_chunk_size())
    return changed
