"""The `tandem` command line (no Django needed).

    tandem match PROBLEM.json [-o RESULT.json]        # '-' reads standard input
    tandem match --mentees mentees.csv --mentors mentors.csv --criteria criteria.json -o matches.csv
    tandem match --schema

Bad input exits with status 2 and one line naming the place and the rule; nothing is written.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tandem._tuning  # before numpy: one OpenBLAS thread
from tandem.matching.engine import (
    ProblemError,
    load_problem,
    parse_problem,
    problem_json_schema,
    result_json,
    solve,
)
from tandem.matching.engine.solve import write_result

EXIT_BAD_INPUT = 2
_PLACE = re.compile(r"^(mentees|mentors)\[(\d+)\](.*)$")


class InputError(Exception):
    """Bad input found by the command line itself (files, CSV shape)."""


def _read_text(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{name}: cannot be read ({error})") from None


def _cell_value(cell: str) -> Any:
    """A CSV cell as an attribute value: empty = missing, ';' = list, numbers as numbers."""
    text = cell.strip()
    if not text:
        return None
    if ";" in text:
        return [part.strip() for part in text.split(";") if part.strip()]
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return int(number) if re.fullmatch(r"[+-]?\d+", text) else number


def read_people_csv(name: str) -> list[dict[str, Any]]:
    """Participants from a CSV file: columns id, capacity (optional), then one per attribute."""
    text = _read_text(name)
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        rows = list(reader)
    except csv.Error as error:
        raise InputError(f"{name} line {reader.line_num}: malformed CSV ({error})") from None
    if not rows or not rows[0]:
        raise InputError(f"{name} line 1: the header row is missing (expected: id, capacity, ...)")
    header = [h.strip() for h in rows[0]]
    if header[0] != "id":
        raise InputError(f"{name} line 1: the first column must be id, got {header[0]!r}")
    for position, column in enumerate(header):
        if not column:
            raise InputError(f"{name} line 1: column {position + 1} has no name")
        if header.index(column) != position:
            raise InputError(f"{name} line 1: column {column!r} appears twice")
    people = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(f"{name} line {line}: expected {len(header)} fields, got {len(row)}")
        person: dict[str, Any] = {"id": row[0].strip(), "attributes": {}}
        for column, cell in zip(header[1:], row[1:], strict=True):
            if column == "capacity":
                value = cell.strip()
                if value:
                    person["capacity"] = int(value) if re.fullmatch(r"[+-]?\d+", value) else value
            else:
                person["attributes"][column] = _cell_value(cell)
        person["_line"] = line
        people.append(person)
    return people


def _csv_problem(args: argparse.Namespace) -> tuple[Any, dict[str, list[int]]]:
    mentees = read_people_csv(args.mentees)
    mentors = read_people_csv(args.mentors)
    raw = _read_text(args.criteria)
    try:
        settings = json.loads(raw)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{args.criteria} line {error.lineno} column {error.colno}: "
            f"malformed JSON ({error.msg})"
        ) from None
    if isinstance(settings, list):
        settings = {"criteria": settings}
    if not isinstance(settings, dict):
        raise InputError(f"{args.criteria}: must be a list of criteria or an object with criteria")
    for key in ("mentees", "mentors", "participants", "format"):
        if key in settings:
            raise InputError(f"{args.criteria}: {key} comes from the CSV files, not here")
    if settings.get("objective") == "peer":
        raise InputError(f"{args.criteria}: objective peer needs a PROBLEM.json, not CSV files")
    lines = {
        "mentees": [p.pop("_line") for p in mentees],
        "mentors": [p.pop("_line") for p in mentors],
    }
    document = dict(settings)
    document["mentees"] = mentees
    document["mentors"] = mentors
    if args.objective:
        document["objective"] = args.objective
    return document, lines


def _csv_place(error: ProblemError, args: argparse.Namespace, lines: dict[str, list[int]]) -> str:
    found = _PLACE.match(error.place)
    if not found:
        return f"{args.criteria}: {error}"
    side, index, rest = found.group(1), int(found.group(2)), found.group(3)
    file = args.mentees if side == "mentees" else args.mentors
    column = rest.lstrip(".").removeprefix("attributes.") or "row"
    return f"{file} line {lines[side][index]} ({column}): {error.rule}"


def _matches_csv(result: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["mentee", "mentor", "score", "reasons"])
    for match in result["matches"]:
        reasons = "; ".join(
            f"{r['criterion']} {r['value']:g} ({r['detail']})" for r in match["reasons"]
        )
        writer.writerow([match["mentee"], match["mentor"], f"{match['score']:g}", reasons])
    return out.getvalue()


def _match(args: argparse.Namespace) -> int:
    if args.schema:
        _emit(json.dumps(problem_json_schema(), indent=2) + "\n", args.output)
        return 0
    csv_mode = any((args.mentees, args.mentors, args.criteria))
    if csv_mode:
        if args.problem:
            raise InputError("give either PROBLEM.json or --mentees/--mentors/--criteria, not both")
        missing = [
            flag
            for flag, value in (
                ("--mentees", args.mentees),
                ("--mentors", args.mentors),
                ("--criteria", args.criteria),
            )
            if not value
        ]
        if missing:
            raise InputError(f"CSV mode also needs {', '.join(missing)}")
        document, lines = _csv_problem(args)
        try:
            problem = parse_problem(document)
        except ProblemError as error:
            raise InputError(_csv_place(error, args, lines)) from None
        result = solve(problem, timing=args.timing)
        text = _matches_csv(result) if _wants_csv(args.output) else result_json(result)
        _emit(text, args.output)
        return 0
    if not args.problem:
        raise InputError("give PROBLEM.json (or - for standard input), CSV files, or --schema")
    if args.objective:
        raise InputError("--objective is for CSV mode; set objective in PROBLEM.json")
    text = _read_text(args.problem)
    try:
        problem = load_problem(text)
    except ProblemError as error:
        name = "stdin" if args.problem == "-" else args.problem
        raise InputError(f"{name}: {error}") from None
    del text  # a large cohort's text is no longer needed (peak memory)
    result = solve(problem, timing=args.timing)
    if args.output and args.output != "-":
        # Written entry by entry (a 50,000-person result is never held as one string), to a
        # temporary file renamed at the end, so a failure never leaves a partial result.
        target = Path(args.output)
        partial = target.with_name(target.name + ".partial")
        with partial.open("wb") as handle:
            write_result(result, handle)
        partial.replace(target)
    else:
        sys.stdout.flush()
        write_result(result, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    return 0


def _wants_csv(output: str | None) -> bool:
    return bool(output) and str(output).lower().endswith(".csv")


def _emit(text: str, output: str | None) -> None:
    if output and output != "-":
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own usage errors: exit 2, one line
        self.exit(EXIT_BAD_INPUT, f"tandem: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _Parser(prog="tandem", description="Tandem mentoring platform tools.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    match = commands.add_parser(
        "match",
        help="match mentees with mentors (MATCHING.md)",
        description="Solve a matching problem. See docs/matching.md.",
    )
    match.add_argument("problem", nargs="?", help="problem JSON file, or - for standard input")
    match.add_argument("-o", "--output", help="write here instead of standard output")
    match.add_argument("--mentees", help="mentees CSV: id, capacity, then one column per attribute")
    match.add_argument("--mentors", help="mentors CSV: id, capacity, then one column per attribute")
    match.add_argument(
        "--criteria", help="criteria JSON: a list of criteria, or an object with criteria etc."
    )
    match.add_argument(
        "--objective", choices=["total", "fair", "stable"], help="objective in CSV mode"
    )
    match.add_argument("--schema", action="store_true", help="print the input's JSON Schema")
    match.add_argument("--timing", action="store_true", help="add stats.seconds to the result")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tandem` console script; returns the exit status."""
    tandem._tuning.one_malloc_arena()  # before any array is made (peak memory)
    args = build_parser().parse_args(argv)
    with tandem._tuning.collector_paused():
        try:
            return _match(args)
        except InputError as error:
            sys.stderr.write(f"tandem: {error}\n")
            return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
