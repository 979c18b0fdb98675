"""Tandem's matching engine: pure Python + numpy/scipy/OR-Tools, no Django.

    from tandem.matching.engine import parse_problem, solve, result_json
    result = solve(parse_problem(document))

The contract is MATCHING.md (format ``tandem-matching/1``); see docs/matching.md.
"""

import tandem._tuning  # noqa: F401  (before numpy: one OpenBLAS thread, see tandem/_tuning.py)

from .problem import Problem, ProblemError, load_problem, parse_problem
from .schema import problem_json_schema
from .solve import result_json, solve

__all__ = [
    "Problem",
    "ProblemError",
    "load_problem",
    "parse_problem",
    "problem_json_schema",
    "result_json",
    "solve",
]
