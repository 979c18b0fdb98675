"""Benchmark of the matching engine (`make bench-matching`; `--sizes 1000,10000` for a subset).

Seeded realistic cohorts (about 20 criteria) at 1k x 500, 10k x 5k and 50k x 25k. For each size it
prints seconds for scoring, solving and end to end (the CLI as a subprocess on a JSON file), peak
memory, quality against exact references, and the baselines: scipy's dense
linear_sum_assignment (where it fits), the `matching` package on `stable` (where it finishes in
120 s) and greedy first-come matching.

In-process timings start with the benchmark's own objects frozen out of the garbage collector
(gc.freeze), so they are the engine's; figures printed before that change (November 2026) also
paid for collector passes over the benchmark's cohort documents.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# One OpenBLAS thread, as the command line runs the engine (before numpy is imported).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tandem.matching.engine import parse_problem, solve  # noqa: E402
from tandem.matching.engine.bipartite import KEEP  # noqa: E402
from tandem.matching.engine.candidates import Context, PairSource  # noqa: E402
from tandem.matching.engine.scoring import ScoringModel  # noqa: E402

SKILLS = [f"skill-{k}" for k in range(60)]
GOALS = [f"goal-{k}" for k in range(12)]
LANGUAGES = ["en", "es", "fr", "de", "pt", "ja", "zh"]
LANGUAGE_WEIGHTS = [0.8, 0.06, 0.04, 0.04, 0.02, 0.02, 0.02]
DEPARTMENTS = [f"dept-{k}" for k in range(15)]
SLOTS = [
    f"{day}-{part}"
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for part in ("am", "pm")
]
WORDS = [f"w{k}" for k in range(80)]
INDUSTRIES = [f"ind-{k}" for k in range(8)]
CITIES = [f"city-{k}" for k in range(25)]
TRACKS = ["engineering", "product", "design", "sales", "operations", "people"]
FUNCTIONS = [f"fn-{k}" for k in range(10)]
FORMATS = ["remote", "in-person", "hybrid"]
STYLES = ["structured", "casual", "project"]
CERTS = [f"cert-{k}" for k in range(20)]
SCHOOLS = [f"school-{k}" for k in range(30)]
GROUPS = [f"erg-{k}" for k in range(6)]
ZONES = [-8, -7, -6, -5, 0, 1, 2, 5, 8, 9]
ZONE_WEIGHTS = [0.12, 0.05, 0.08, 0.15, 0.12, 0.18, 0.05, 0.1, 0.1, 0.05]

CRITERIA: list[dict[str, Any]] = [
    {"name": "skills", "type": "overlap", "mentee": "wants", "mentor": "offers", "weight": 3},
    {"name": "goals", "type": "overlap", "mentee": "goals", "mentor": "helps_with", "weight": 2},
    {
        "name": "language",
        "type": "same",
        "mentee": "languages",
        "mentor": "languages",
        "required": True,
        "weight": 0,
    },
    {
        "name": "seniority",
        "type": "range",
        "mentee": "level",
        "mentor": "level",
        "min": 1,
        "max": 5,
        "weight": 1,
    },
    {
        "name": "timezone",
        "type": "near",
        "mentee": "tz",
        "mentor": "tz",
        "within": 3,
        "required": True,
        "weight": 1,
    },
    {
        "name": "other department",
        "type": "different",
        "mentee": "department",
        "mentor": "department",
        "weight": 0.5,
    },
    {
        "name": "not my manager",
        "type": "different",
        "mentee": "managers",
        "mentor": "@id",
        "required": True,
        "weight": 0,
    },
    {"name": "availability", "type": "overlap", "mentee": "slots", "mentor": "slots", "weight": 1},
    {"name": "interests", "type": "text", "mentee": "about", "mentor": "about", "weight": 1},
    {"name": "industry", "type": "same", "mentee": "industry", "mentor": "industry", "weight": 0.5},
    {"name": "city", "type": "same", "mentee": "city", "mentor": "city", "weight": 0.3},
    {"name": "track", "type": "same", "mentee": "track", "mentor": "track", "weight": 1},
    {
        "name": "function",
        "type": "overlap",
        "mentee": "functions",
        "mentor": "functions",
        "weight": 1,
    },
    {"name": "format", "type": "overlap", "mentee": "formats", "mentor": "formats", "weight": 0.5},
    {"name": "style", "type": "same", "mentee": "style", "mentor": "style", "weight": 0.3},
    {
        "name": "experience",
        "type": "near",
        "mentee": "years",
        "mentor": "years",
        "within": 12,
        "weight": 0.5,
    },
    {
        "name": "tenure",
        "type": "range",
        "mentee": "tenure",
        "mentor": "tenure",
        "min": 0,
        "max": 20,
        "weight": 0.2,
    },
    {
        "name": "certifications",
        "type": "overlap",
        "mentee": "certs",
        "mentor": "certs",
        "weight": 0.5,
    },
    {"name": "alumni", "type": "same", "mentee": "school", "mentor": "school", "weight": 0.2},
    {"name": "groups", "type": "overlap", "mentee": "groups", "mentor": "groups", "weight": 0.3},
]


def cohort(n_mentees: int, n_mentors: int, seed: int, objective: str) -> dict[str, Any]:
    """A seeded, realistic cohort: skewed skills, a few very popular mentors, capacities 1-3."""
    rng = random.Random(seed)
    skill_weights = [1 / (k + 1) ** 1.1 for k in range(len(SKILLS))]

    def pick(pool: list[str], low: int, high: int, weights: list[float] | None = None) -> list[str]:
        count = rng.randint(low, high)
        if weights is None:
            return rng.sample(pool, count)
        return list(dict.fromkeys(rng.choices(pool, weights, k=count)))

    def person(prefix: str, index: int, mentor: bool) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "goals": pick(GOALS, 1, 2) if not mentor else None,
            "helps_with": pick(GOALS, 2, 5) if mentor else None,
            "languages": list(
                dict.fromkeys(rng.choices(LANGUAGES, LANGUAGE_WEIGHTS, k=rng.randint(1, 2)))
            ),
            "level": rng.randint(3, 8) if mentor else rng.randint(1, 4),
            "tz": rng.choices(ZONES, ZONE_WEIGHTS)[0],
            "department": rng.choice(DEPARTMENTS),
            "slots": pick(SLOTS, 3, 7),
            "about": " ".join(pick(WORDS, 5, 10)),
            "industry": rng.choice(INDUSTRIES),
            "city": rng.choice(CITIES),
            "track": rng.choice(TRACKS),
            "functions": pick(FUNCTIONS, 1, 3),
            "formats": pick(FORMATS, 1, 2),
            "style": rng.choice(STYLES),
            "years": rng.randint(8, 30) if mentor else rng.randint(0, 12),
            "tenure": rng.randint(0, 25),
            "certs": pick(CERTS, 0, 3),
            "school": rng.choice(SCHOOLS),
            "groups": pick(GROUPS, 0, 2),
        }
        if mentor:
            attributes["offers"] = pick(SKILLS, 2, 6, skill_weights)
        else:
            attributes["wants"] = pick(SKILLS, 1, 4, skill_weights)
            attributes["managers"] = [
                f"r{rng.randrange(n_mentors):06d}" for _ in range(rng.randint(1, 3))
            ]
        clean = {k: v for k, v in attributes.items() if v is not None}
        capacity = 1 if not mentor else rng.choices([1, 2, 3], [0.5, 0.3, 0.2])[0]
        return {"id": f"{prefix}{index:06d}", "capacity": capacity, "attributes": clean}

    mentees = [person("e", i, False) for i in range(n_mentees)]
    mentors = [person("r", j, True) for j in range(n_mentors)]
    for mentor in rng.sample(mentors, max(1, n_mentors // 100)):  # a few very popular mentors
        mentor["attributes"]["offers"] = SKILLS[:8]
        mentor["attributes"]["languages"] = ["en"]
        mentor["capacity"] = 3
    return {
        "format": "tandem-matching/1",
        "objective": objective,
        "mentees": mentees,
        "mentors": mentors,
        "criteria": CRITERIA,
    }


def _settle() -> None:
    """Before an in-process timing: the benchmark's own objects (the cohort documents, millions
    of small dicts and lists) are moved out of the cyclic collector's sight, so its passes during
    the engine's run cost what they would in a process of its own, not more."""
    gc.collect()
    gc.freeze()


def run_cli(path: Path, output: Path) -> tuple[float, float]:
    """End-to-end seconds and peak memory (MB) of `tandem match` as a fresh process.

    Linux counts a child's memory before `exec` in its peak (ru_maxrss), and before exec a
    spawned child shares this (large) benchmark process's memory. So the command is started
    through a tiny launcher process and its own peak is read from the launcher's report.
    """
    command = [sys.executable, "-m", "tandem.cli", "match", str(path), "-o", str(output)]
    launcher = (
        "import os,subprocess,sys,time;t=time.perf_counter();"
        "p=subprocess.Popen(sys.argv[1:]);_,s,u=os.wait4(p.pid,0);"
        "print(time.perf_counter()-t,u.ru_maxrss,s)"
    )
    done = subprocess.run(
        [sys.executable, "-c", launcher, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds, peak, status = done.stdout.split()
    if int(status) != 0:
        raise SystemExit(f"tandem match failed with status {status}: {done.stderr[-500:]}")
    return float(seconds), int(peak) / 1024


def dense_scores(document: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Dense micro-point scores and allowed mask (references only; uses the engine's scorer)."""
    problem = parse_problem(document)
    model = ScoringModel(problem.mentees, problem.mentors, problem.criteria)
    score, ok = model.block(slice(None), slice(None))
    return score, ok


def scipy_dense(score: np.ndarray, ok: np.ndarray, capacity: np.ndarray) -> tuple[float, int, int]:
    """Most pairs then largest sum via one dense assignment over mentor slots: (s, pairs, total)."""
    from scipy.optimize import linear_sum_assignment

    slots = np.repeat(np.arange(len(capacity)), capacity)
    started = time.perf_counter()
    bonus = 1e12
    matrix = np.where(ok[:, slots], score[:, slots] + bonus, 0.0)
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    seconds = time.perf_counter() - started
    used = matrix[rows, cols] > 0
    return seconds, int(used.sum()), int((matrix[rows, cols][used] - bonus).sum())


def exact_bottleneck(score: np.ndarray, ok: np.ndarray, capacity: np.ndarray, size: int) -> int:
    """Largest t such that pairs scoring >= t still give `size` pairs (scipy max matching)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching

    slots = np.repeat(np.arange(len(capacity)), capacity)
    allowed = ok[:, slots]
    values = np.unique(score[ok])
    low, high = 0, len(values) - 1
    while low < high:
        middle = (low + high + 1) // 2
        graph = csr_matrix(allowed & (score[:, slots] >= values[middle]))
        matched = int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())
        if matched >= size:
            low = middle
        else:
            high = middle - 1
    return int(values[low])


def greedy_first_come(
    score: np.ndarray, ok: np.ndarray, capacity: np.ndarray
) -> tuple[int, int, int]:
    """Mentees in sign-up order take their best allowed mentor with room: (pairs, total, min)."""
    left = capacity.copy()
    total, count, worst = 0, 0, 10**9
    for i in range(score.shape[0]):
        candidates = np.where(ok[i] & (left > 0), score[i], -1)
        j = int(np.argmax(candidates))
        if candidates[j] >= 0:
            left[j] -= 1
            total += int(score[i, j])
            count += 1
            worst = min(worst, int(score[i, j]))
    return count, total, worst


def matching_package_stable(
    document: dict[str, Any], score: np.ndarray, ok: np.ndarray, limit: float
) -> tuple[float | None, set[tuple[str, str]] | None]:
    """The `matching` package's resident-optimal answer on the same lists, within `limit` s."""
    mentee_ids = [p["id"] for p in document["mentees"]]
    mentor_ids = [p["id"] for p in document["mentors"]]
    capacity = {p["id"]: p["capacity"] for p in document["mentors"]}
    payload = {
        "mentees": {},
        "mentors": {},
        "capacity": {k: v for k, v in capacity.items() if v > 0},
    }
    mentor_rank = np.argsort(np.argsort(np.array(mentor_ids, dtype=object), kind="stable"))
    mentee_rank = np.argsort(np.argsort(np.array(mentee_ids, dtype=object), kind="stable"))
    usable = np.array([capacity[r] > 0 for r in mentor_ids])
    for i, name in enumerate(mentee_ids):
        js = np.flatnonzero(ok[i] & usable)
        order = np.lexsort((mentor_rank[js], -score[i, js]))
        payload["mentees"][name] = [mentor_ids[j] for j in js[order]]
    for j, name in enumerate(mentor_ids):
        if not usable[j]:
            continue
        is_ = np.flatnonzero(ok[:, j])
        order = np.lexsort((mentee_rank[is_], -score[is_, j]))
        payload["mentors"][name] = [mentee_ids[i] for i in is_[order]]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(payload, handle)
    script = (
        "import json,sys,time;sys.setrecursionlimit(10**6);"
        "from matching.games import HospitalResident as H;"
        f"d=json.load(open({handle.name!r}));t=time.perf_counter();"
        "g=H.create_from_dictionaries(d['mentees'],d['mentors'],d['capacity'],clean=True);"
        "s=g.solve(optimal='resident');e=time.perf_counter()-t;"
        "print(json.dumps([e,[[r.name,h.name] for h,rs in s.items() for r in rs]]))"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", script],
            capture_output=True,
            text=True,
            timeout=limit,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None, None
    finally:
        os.unlink(handle.name)
    seconds, pairs = json.loads(done.stdout.strip().splitlines()[-1])
    return seconds, {(a, b) for a, b in pairs}


def bench(n_mentees: int, workdir: Path, stable_limit: float = 120.0) -> None:
    n_mentors = n_mentees // 2
    print(f"\n== {n_mentees:,} mentees x {n_mentors:,} mentors ==", flush=True)
    started = time.perf_counter()
    document = cohort(n_mentees, n_mentors, seed=n_mentees, objective="total")
    path = workdir / f"cohort-{n_mentees}.json"
    path.write_text(json.dumps(document))
    print(
        f"(bench's own data generation and JSON writing: {time.perf_counter() - started:.2f} s)",
        flush=True,
    )
    # End to end first, in a fresh process (its peak memory is its own).
    e2e, peak = run_cli(path, workdir / f"result-{n_mentees}.json")
    result = json.loads((workdir / f"result-{n_mentees}.json").read_text())
    print(f"end to end (CLI process, total): {e2e:.2f} s, peak memory {peak:.0f} MB", flush=True)
    problem = parse_problem(document)
    _settle()
    started = time.perf_counter()
    model = ScoringModel(problem.mentees, problem.mentors, problem.criteria)
    capacity_e = np.array([p.capacity for p in problem.mentees])
    capacity_r = np.array([p.capacity for p in problem.mentors])
    context = Context(
        n_mentees=len(problem.mentees),
        n_mentors=len(problem.mentors),
        mentee_usable=capacity_e > 0,
        mentor_usable=capacity_r > 0,
        forbidden_keys=np.zeros(0, dtype=np.int64),
        pinned_keys=np.zeros(0, dtype=np.int64),
        min_score=0.0,
    )
    candidates = PairSource(context, model=model).scan(KEEP)
    scoring = time.perf_counter() - started
    started = time.perf_counter()
    solve(problem)
    whole = time.perf_counter() - started
    print(
        f"scoring (model + scan of all pairs, top {KEEP}): {scoring:.2f} s; "
        f"solving (rest of solve): {max(0.0, whole - scoring):.2f} s",
        flush=True,
    )
    stats = result["stats"]
    print(
        f"allowed pairs {stats['allowed_pairs']:,}; "
        f"matched {stats['matched']:,}; "
        f"total {stats['total_score']}; "
        f"optimal {stats['optimal']}",
        flush=True,
    )
    fair_doc = dict(document, objective="fair")
    _settle()
    started = time.perf_counter()
    fair = solve(parse_problem(fair_doc))
    print(
        f"fair: {time.perf_counter() - started:.2f} s in process; "
        f"min score {fair['stats']['min_score']}; "
        f"matched {fair['stats']['matched']:,}; "
        f"optimal {fair['stats']['optimal']}",
        flush=True,
    )
    _ = candidates
    if n_mentees * int(capacity_r.sum()) <= 120_000_000:
        started = time.perf_counter()
        score, ok = dense_scores(document)
        print(
            f"(bench's own dense reference scores: {time.perf_counter() - started:.2f} s)",
            flush=True,
        )
        seconds, pairs, total = scipy_dense(score, ok, capacity_r)
        print(
            f"scipy dense linear_sum_assignment: {seconds:.2f} s (matrix build included); "
            f"pairs {pairs:,}; "
            f"total {total / 1e6}",
            flush=True,
        )
        print(
            f"  matched vs max-cardinality bound: {stats['matched']:,} / {pairs:,}; "
            f"total vs exact optimum: {stats['total_score']} / {total / 1e6}; "
            f"speed-up end to end: {seconds / e2e:.2g}x",
            flush=True,
        )
        bottleneck = exact_bottleneck(score, ok, capacity_r, fair["stats"]["matched"])
        print(
            f"  fair min score vs exact bottleneck: {fair['stats']['min_score']} / "
            f"{bottleneck / 1e6}",
            flush=True,
        )
        count, gtotal, worst = greedy_first_come(score, ok, capacity_r)
        print(
            f"greedy first-come: pairs {count:,}; total {gtotal / 1e6}; min score {worst / 1e6}",
            flush=True,
        )
        stable_doc = dict(document, objective="stable")
        _settle()
        started = time.perf_counter()
        stable = solve(parse_problem(stable_doc))
        ours = time.perf_counter() - started
        mine = {(m["mentee"], m["mentor"]) for m in stable["matches"]}
        theirs_seconds, theirs = matching_package_stable(stable_doc, score, ok, stable_limit)
        if theirs_seconds is None:
            print(
                f"stable: engine {ours:.2f} s; matching package did not finish within "
                f"{stable_limit:.0f} s (so at least {stable_limit / ours:.0f}x)",
                flush=True,
            )
        else:
            print(
                f"stable: engine {ours:.2f} s; "
                f"matching package {theirs_seconds:.2f} s ({theirs_seconds / ours:.0f}x); "
                f"identical matching: {mine == theirs}",
                flush=True,
            )
    else:
        print(
            "scipy dense / exact references: skipped (dense matrix does not fit); "
            "optimality by the engine's certificate",
            flush=True,
        )


def main() -> None:
    """Run the benchmark for the chosen sizes (mentee counts)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,50000", help="comma-separated mentee counts")
    parser.add_argument(
        "--stable-limit",
        type=float,
        default=120.0,
        help="seconds the matching package may take on stable before it is stopped",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for size in (int(s) for s in args.sizes.split(",")):
            bench(size, Path(directory), args.stable_limit)


if __name__ == "__main__":
    main()
