"""The `tandem match` command line: JSON, CSV, schema, exit codes, nothing written on error."""

import importlib
import io
import json
import subprocess
import sys

import pytest

from tandem.cli import main
from tandem.matching.engine import parse_problem, result_json, solve

PROBLEM = {
    "objective": "total",
    "mentees": [
        {"id": "a1", "attributes": {"wants": ["python"]}},
        {"id": "a2", "attributes": {"wants": ["sql"]}},
    ],
    "mentors": [
        {"id": "b1", "attributes": {"offers": ["python", "sql"]}},
        {"id": "b2", "attributes": {"offers": ["sql"]}},
    ],
    "criteria": [{"name": "skills", "type": "overlap", "mentee": "wants", "mentor": "offers"}],
}


@pytest.fixture(autouse=True)
def _tandem_test_settings():
    """The engine needs no Django: this stands in for the suite-wide settings fixture."""


def test_match_json_file_prints_result(tmp_path, capsys):
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(PROBLEM))
    assert main(["match", str(path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {(m["mentee"], m["mentor"]) for m in result["matches"]} == {("a1", "b1"), ("a2", "b2")}


def test_result_text_is_utf8_json_with_one_entry_a_line(tmp_path, monkeypatch):
    """The written result parses back to the solved result, keeps non-ASCII text as UTF-8, and
    has each match and each unmatched person on a line of its own, across write chunks."""
    # (the package's `solve` is the function; the module is looked up by name)
    monkeypatch.setattr(importlib.import_module("tandem.matching.engine.solve"), "WRITE_CHUNK", 2)
    people = [f"Zoë-{k}" for k in range(5)]
    problem = {
        "objective": "total",
        "mentees": [{"id": p, "attributes": {"wants": ["python"]}} for p in people],
        "mentors": [
            {"id": f"Å{k}", "capacity": 1, "attributes": {"offers": ["python"]}} for k in range(3)
        ],
        "criteria": [{"name": "skills", "type": "overlap", "mentee": "wants", "mentor": "offers"}],
    }
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(problem), encoding="utf-8")
    out = tmp_path / "result.json"
    assert main(["match", str(path), "-o", str(out)]) == 0
    raw = out.read_bytes()
    assert "Zoë-0".encode() in raw
    result = json.loads(raw.decode("utf-8"))
    assert result == json.loads(result_json(solve(parse_problem(problem))))
    lines = raw.decode("utf-8").splitlines()
    assert len(result["matches"]) == 3
    assert len(result["unmatched"]) == 2
    entries = [line for line in lines if line.startswith('    {"')]
    assert len(entries) == len(result["matches"]) + len(result["unmatched"])
    for line in entries:
        json.loads(line.rstrip(","))


def test_match_reads_stdin_and_writes_output_file(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(PROBLEM)))
    out = tmp_path / "result.json"
    assert main(["match", "-", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["stats"]["matched"] == 2


def test_a_repeated_forbidden_pair_is_accepted_with_a_warning(tmp_path, capsys):
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(dict(PROBLEM, forbidden=[["a1", "b1"], ["a1", "b1"]])))
    assert main(["match", str(path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert ("a1", "b1") not in {(m["mentee"], m["mentor"]) for m in result["matches"]}
    assert result["warnings"] == ["forbidden[1]: the same pair as forbidden[0], counted once"]


def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys):
    broken = dict(PROBLEM, mentors=[{"id": "b1", "capacity": -1}])
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(broken))
    out = tmp_path / "result.json"
    assert main(["match", str(path), "-o", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "mentors[0].capacity: must be an integer >= 0, got -1" in error
    assert not out.exists()


def test_malformed_json_exits_2(tmp_path, capsys):
    path = tmp_path / "problem.json"
    path.write_text('{"mentees": [')
    assert main(["match", str(path)]) == 2
    assert "malformed JSON" in capsys.readouterr().err


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["match", str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err


def _write_csv(tmp_path, mentees_text, mentors_text):
    (tmp_path / "mentees.csv").write_text(mentees_text)
    (tmp_path / "mentors.csv").write_text(mentors_text)
    (tmp_path / "criteria.json").write_text(
        json.dumps(
            [
                {
                    "name": "skills",
                    "type": "overlap",
                    "mentee": "wants",
                    "mentor": "offers",
                    "weight": 3,
                },
                {
                    "name": "level gap",
                    "type": "range",
                    "mentee": "level",
                    "mentor": "level",
                    "min": 1,
                    "max": 4,
                },
            ]
        )
    )
    return [
        "match",
        "--mentees",
        str(tmp_path / "mentees.csv"),
        "--mentors",
        str(tmp_path / "mentors.csv"),
        "--criteria",
        str(tmp_path / "criteria.json"),
        "-o",
        str(tmp_path / "matches.csv"),
    ]


def test_csv_mode_writes_matches_csv(tmp_path):
    args = _write_csv(
        tmp_path,
        "id,capacity,wants,level\na1,1,python;leadership,2\na2,,sql,1\n",
        "id,capacity,offers,level\nb1,2,Python,5\nb2,1,sql;python,3\n",
    )
    assert main(args) == 0
    lines = (tmp_path / "matches.csv").read_text().splitlines()
    assert lines[0] == "mentee,mentor,score,reasons"
    rows = {line.split(",")[0]: line for line in lines[1:]}
    assert rows["a2"].startswith("a2,b2,1,")
    assert "shared: sql" in rows["a2"]
    assert rows["a1"].startswith("a1,b1,")


@pytest.mark.parametrize(
    ("mentees_text", "message"),
    [
        (
            "id,capacity,wants,level\na1,zero,python,2\n",
            "mentees.csv line 2 (capacity): must be an integer >= 1",
        ),
        (
            "id,capacity,wants,level\na1,1,python,senior\n",
            'mentees.csv line 2 (level): criterion "level gap" (range) needs a number',
        ),
        ("id,capacity,wants,level\na1,1,python\n", "mentees.csv line 2: expected 4 fields, got 3"),
        ("name,capacity,wants\na1,1,python\n", "mentees.csv line 1: the first column must be id"),
        (
            "id,capacity,wants,level\na1,1,python,2\na1,1,sql,3\n",
            'mentees.csv line 3 (id): duplicate id "a1"',
        ),
        ('id,capacity,wants,level\na1,1,"python,2\n', "mentees.csv line"),
    ],
)
def test_csv_errors_name_file_line_and_rule_and_write_nothing(
    tmp_path, capsys, mentees_text, message
):
    args = _write_csv(tmp_path, mentees_text, "id,capacity,offers,level\nb1,2,python,5\n")
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "matches.csv").exists()


def test_schema_is_json_schema_of_the_input(capsys):
    assert main(["match", "--schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["properties"]["objective"]["enum"]) == {"total", "fair", "stable", "peer"}
    assert schema["properties"]["mentors"]["items"]["properties"]["capacity"]["minimum"] == 0


def test_console_module_runs_as_a_process_and_exits_2_on_bad_input(tmp_path):
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(dict(PROBLEM, objective="best")))
    done = subprocess.run(  # noqa: S603 - our own interpreter on our own module
        [sys.executable, "-m", "tandem.cli", "match", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "objective: must be one of" in done.stderr


def test_usage_error_exits_2(capsys):
    assert main(["match"]) == 2
    assert "give PROBLEM.json" in capsys.readouterr().err


def test_process_tuning_is_safe_and_leaves_an_explicit_choice():
    """One OpenBLAS thread by default (set before numpy), and the malloc setting never fails."""
    import os

    import tandem._tuning

    assert os.environ.get("OPENBLAS_NUM_THREADS")  # set by importing the engine or the CLI
    tandem._tuning.one_malloc_arena()  # glibc: one arena; elsewhere: nothing, no error
    tandem._tuning.one_malloc_arena()  # idempotent


def test_match_runs_without_the_cyclic_collector_and_restores_it(tmp_path, monkeypatch):
    """The collector is off while a problem is solved, and back on after, even on bad input."""
    import gc

    import tandem.cli

    seen: list[bool] = []
    real_solve = tandem.cli.solve

    def watching_solve(*args, **kwargs):
        seen.append(gc.isenabled())
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(tandem.cli, "solve", watching_solve)
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(PROBLEM))
    assert gc.isenabled()
    assert main(["match", str(path), "-o", str(tmp_path / "result.json")]) == 0
    assert seen == [False]
    assert gc.isenabled()
    path.write_text('{"mentees": [')
    assert main(["match", str(path)]) == 2
    assert gc.isenabled()


def test_collector_paused_restores_the_collector_as_it_was_even_on_error():
    import gc

    from tandem._tuning import collector_paused

    inside: list[bool] = []

    def fail_inside() -> None:
        with collector_paused():
            inside.append(gc.isenabled())
            raise ZeroDivisionError

    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        fail_inside()
    assert inside == [False]
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: left off
    finally:
        gc.enable()
