"""Writes for matching: rules, runs, and the coordinator's decisions on draft matches."""

from __future__ import annotations

import datetime
import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from tandem.accounts.models import User
from tandem.matching.models import (
    Criterion,
    DraftMatch,
    DraftStatus,
    MatchingRules,
    MatchRun,
    PairRule,
    RunStatus,
)
from tandem.matching.problems import Segment, build_problem, rules_for
from tandem.matching.self_match import match_requests_schedule, match_requests_withdraw_for
from tandem.matching.solver import EngineInputError, RunSnapshot, solve_document
from tandem.mentorships.models import MatchSource, Relationship
from tandem.mentorships.services import MatchRefused, Override, relationship_create
from tandem.programs.models import Format, Participant, Program

logger = logging.getLogger(__name__)

# A run still unfinished after this long has died with its worker; a new run may start.
RUN_STALE_AFTER = datetime.timedelta(minutes=15)


# --- Rules -----------------------------------------------------------------------------------


@transaction.atomic
def rules_update(*, program: Program, fields: Mapping[str, Any], actor: User) -> MatchingRules:
    rules = rules_for(program)
    chase_days = (rules.request_reminder_days, rules.request_expiry_days)
    for name, value in fields.items():
        setattr(rules, name, value)
    rules.updated_by = actor
    rules.full_clean()
    rules.save()
    if (rules.request_reminder_days, rules.request_expiry_days) != chase_days:
        # The worker's sweeps were queued at the old times: queue the open requests again.
        match_requests_schedule(program=program)
    return rules


@transaction.atomic
def criterion_create(*, program: Program, actor: User, **fields: Any) -> Criterion:
    rules = rules_for(program)
    position = (rules.criteria.aggregate(m=Max("position"))["m"] or 0) + 1
    criterion = Criterion(rules=rules, position=position, **fields)
    criterion.full_clean()
    criterion.save()
    rules.updated_by = actor
    rules.save(update_fields=["updated_by", "updated_at"])
    return criterion


SENIORITY_WORDS = ("experience", "senior", "level", "years", "tenure", "grade")


def suggested_criteria(program: Program) -> list[dict[str, Any]]:
    """Starting rules read off the program's questions, for a coordinator to adjust.

    A multiple-choice question asked of mentees paired with one asked of mentors becomes an
    overlap (their wants against the mentor's offers); languages must be shared; time zones
    near; a number question about experience becomes the seniority range — inverted in a
    reverse-mentoring program, where the less senior person mentors.
    """
    from tandem.programs.models import Audience, QuestionKind

    questions = list(program.questions.all())
    found: list[dict[str, Any]] = []
    mentee_lists = [
        q
        for q in questions
        if q.kind == QuestionKind.MULTIPLE_CHOICE and q.audience == Audience.MENTEES
    ]
    mentor_lists = [
        q
        for q in questions
        if q.kind == QuestionKind.MULTIPLE_CHOICE and q.audience == Audience.MENTORS
    ]
    for wants, offers in zip(mentee_lists, mentor_lists, strict=False):
        found.append(
            {
                "name": f"{wants.label[:60]} / {offers.label[:30]}",
                "type": "overlap",
                "mentee_attribute": wants.slug,
                "mentor_attribute": offers.slug,
                "weight": 3.0,
            }
        )
    seniority = False
    for q in questions:
        if q.kind == QuestionKind.LANGUAGES:
            found.append(
                {
                    "name": "Common language",
                    "type": "same",
                    "mentee_attribute": q.slug,
                    "mentor_attribute": q.slug,
                    "weight": 0.0,
                    "required": True,
                }
            )
        elif q.kind == QuestionKind.TIMEZONE:
            found.append(
                {
                    "name": "Time zones close",
                    "type": "near",
                    "mentee_attribute": q.slug,
                    "mentor_attribute": q.slug,
                    "weight": 1.0,
                    "within": 4.0,
                }
            )
        elif (
            not seniority
            and q.kind in (QuestionKind.NUMBER, QuestionKind.SCALE)
            and any(word in f"{q.slug} {q.label}".lower() for word in SENIORITY_WORDS)
        ):
            reverse = program.format == "reverse"
            found.append(
                {
                    "name": "Seniority gap",
                    "type": "range",
                    "mentee_attribute": q.slug,
                    "mentor_attribute": q.slug,
                    "weight": 1.0,
                    # mentor minus mentee: positive in classic mentoring, negative in reverse.
                    "min_value": -40.0 if reverse else 1.0,
                    "max_value": -1.0 if reverse else 40.0,
                }
            )
            seniority = True  # one seniority rule: the first question that reads as one
    taken = set(Criterion.objects.filter(rules__program=program).values_list("name", flat=True))
    return [c for c in found if c["name"] not in taken]


@transaction.atomic
def criteria_add_suggested(*, program: Program, actor: User) -> list[Criterion]:
    return [
        criterion_create(program=program, actor=actor, **spec)
        for spec in suggested_criteria(program)
    ]


@transaction.atomic
def criterion_update(*, criterion: Criterion, fields: Mapping[str, Any]) -> Criterion:
    for name, value in fields.items():
        setattr(criterion, name, value)
    criterion.full_clean()
    criterion.save()
    return criterion


@transaction.atomic
def criterion_delete(*, criterion: Criterion) -> None:
    criterion.delete()


@transaction.atomic
def pair_rule_set(
    *, program: Program, mentee: Participant, mentor: Participant, kind: str, actor: User
) -> PairRule:
    """Pin or forbid a pair for every later run (replacing any earlier rule for the pair)."""
    if mentee.program_id != program.pk or mentor.program_id != program.pk:
        raise ValidationError("Both people must be in this program.")
    if not mentee.is_mentee or not mentor.is_mentor:
        raise ValidationError("Pair a mentee with a mentor.")
    if program.format == Format.PEER:
        # Peers have no sides: (b, a) is the same pair as (a, b), and one pair has one rule.
        PairRule.objects.filter(rules__program=program, mentee=mentor, mentor=mentee).delete()
    rule, _ = PairRule.objects.update_or_create(
        rules=rules_for(program),
        mentee=mentee,
        mentor=mentor,
        defaults={"kind": kind, "created_by": actor},
    )
    return rule


@transaction.atomic
def pair_rule_delete(*, rule: PairRule) -> None:
    rule.delete()


# --- Runs ------------------------------------------------------------------------------------


class RunRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _fail_stale_runs(program: Program) -> None:
    cutoff = timezone.now() - RUN_STALE_AFTER
    MatchRun.objects.filter(program=program).unfinished().filter(created_at__lt=cutoff).update(
        status=RunStatus.FAILED,
        error="The run stopped before finishing (its worker ended). Nothing was published; "
        "run it again.",
        finished_at=timezone.now(),
    )


def _explain_empty(problem: Mapping[str, Any]) -> str | None:
    """Why a run cannot find any match, before solving; None if it may."""
    if not problem.get("criteria"):
        return "Add at least one matching rule before running smart match."
    if problem.get("objective") == "peer":
        if len(problem.get("participants", [])) < 2:
            return "Fewer than two peers are waiting for a match in this segment."
        return None
    if not problem.get("mentees"):
        return "No mentee in this segment is waiting for a match."
    if not any(m["capacity"] > 0 for m in problem.get("mentors", [])):
        return "No mentor in this program has room for another mentee."
    return None


@transaction.atomic
def match_run_start(*, program: Program, started_by: User, segment: Segment) -> MatchRun:
    """Snapshot the rules and the cohort, and queue the run. One run per program at a time.

    The problem is built now, so that editing rules while the run works changes nothing in it.
    """
    Program.objects.select_for_update().filter(pk=program.pk).get()
    _fail_stale_runs(program)
    if MatchRun.objects.filter(program=program).unfinished().exists():
        raise RunRefused("A run of this program is already in progress.")
    problem = build_problem(program, rules_for(program), segment)
    run = MatchRun.objects.create(
        program=program,
        created_by=started_by,
        segment=segment.as_json(),
        problem=problem,
        rules_used={
            key: problem.get(key)
            for key in ("objective", "criteria", "min_score", "pinned", "forbidden", "group_size")
            if key in problem
        },
        progress_message="Waiting for a worker",
    )
    explanation = _explain_empty(problem)
    if explanation:
        _finish_failed(run, explanation)
        return run
    from tandem.matching.tasks import execute_match_run

    transaction.on_commit(lambda: execute_match_run.enqueue(run.pk))
    return run


def _finish_failed(run: MatchRun, message: str) -> None:
    run.status = RunStatus.FAILED
    run.error = message
    run.finished_at = timezone.now()
    run.progress = 100
    run.progress_message = ""
    run.save(update_fields=["status", "error", "finished_at", "progress", "progress_message"])


def match_run_execute(*, run_id: int) -> None:
    """Solve a queued run and publish its drafts in one transaction (all or nothing)."""
    claimed = MatchRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        progress=10,
        progress_message="Scoring every pair and solving",
    )
    if not claimed:
        return  # already taken by another worker, or finished
    run = MatchRun.objects.get(pk=run_id)
    try:
        result = solve_document(run.problem)
    except EngineInputError as error:
        _finish_failed(run, f"The rules cannot be used as they are: {error}")
        return
    except Exception:
        logger.exception("match run %s failed in the engine", run_id)
        _finish_failed(run, "The matching engine failed unexpectedly. Nothing was published.")
        return
    MatchRun.objects.filter(pk=run_id).update(progress=80, progress_message="Saving the drafts")
    _publish(run, result)


@transaction.atomic
def _publish(run: MatchRun, result: dict[str, Any]) -> None:
    ids = {
        str(pk): pk
        for pk in Participant.objects.filter(program_id=run.program_id).values_list("pk", flat=True)
    }
    drafts = []
    for match in result.get("matches", []):
        if "peers" in match:
            peers = [ids[p] for p in match["peers"]]
            draft = DraftMatch(run=run, mentee_id=peers[0], mentor=None, peers=peers)
        else:
            draft = DraftMatch(
                run=run, mentee_id=ids[match["mentee"]], mentor_id=ids[match["mentor"]]
            )
        draft.score = match["score"]
        draft.reasons = match.get("reasons", [])
        drafts.append(draft)
    DraftMatch.objects.bulk_create(drafts, batch_size=2000)
    run.result = result
    run.unmatched = result.get("unmatched", [])
    run.stats = dict(result.get("stats", {}))
    run.warnings = list(result.get("warnings", []))
    run.status = RunStatus.DONE
    run.progress = 100
    run.progress_message = ""
    run.finished_at = timezone.now()
    if not drafts:
        run.error = _explain_no_match(result)
    run.save()


def _explain_no_match(result: Mapping[str, Any]) -> str:
    reasons = [u.get("reason", "") for u in result.get("unmatched", [])]
    if not reasons:
        return "Nobody could be matched."
    common = max(set(reasons), key=reasons.count)
    return f"No pair is allowed by the rules. The most common reason: {common}."


# --- Drafts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalOutcome:
    approved: list[Relationship]
    refused: list[str]


def _get_draft_locked(program: Program, draft_id: int) -> DraftMatch:
    draft = (
        DraftMatch.objects.select_for_update(of=("self",))
        .filter(pk=draft_id, run__program=program)
        .select_related("run", "mentee__user", "mentor__user", "decided_by")
        .defer("run__problem", "run__result", "run__unmatched")
        .first()
    )
    if draft is None:
        raise MatchRefused("This draft does not exist.", code="no_draft")
    return draft


def _refuse_if_decided(draft: DraftMatch) -> None:
    if draft.status == DraftStatus.APPROVED:
        who = draft.decided_by.display_name if draft.decided_by else "another coordinator"
        raise MatchRefused(f"{who} approved this match already.", code="already_approved")
    if draft.status == DraftStatus.DISMISSED:
        raise MatchRefused("This draft was dismissed.", code="dismissed")


def reasons_with_sources(
    criteria: Iterable[Mapping[str, Any]], reasons: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each reason with `reads`: the attributes (question slugs) its rule compared.

    Whether the matched people may see a reason is decided when it is shown, from the
    questions' visibility then (`mentorships.selectors.reasons_shown_to_members`), not frozen
    here: a question made private later hides its reasons at once. A reason whose rule is not
    among `criteria` gets no `reads`, and is never shown to them.
    """
    reads = {
        c["name"]: sorted({str(c[side]) for side in ("mentee", "mentor") if c.get(side)})
        for c in criteria
    }
    marked = []
    for reason in reasons:
        entry = {key: value for key, value in reason.items() if key != "private"}
        if str(reason.get("criterion")) in reads:
            entry["reads"] = reads[str(reason.get("criterion"))]
        marked.append(entry)
    return marked


@transaction.atomic
def draft_approve(*, program: Program, draft_id: int, actor: User) -> Relationship:
    """Turn a draft into a relationship and tell both sides (after commit). Exactly once."""
    draft = _get_draft_locked(program, draft_id)
    _refuse_if_decided(draft)
    mentees = (
        list(Participant.objects.filter(pk__in=draft.peers).order_by("pk"))
        if draft.is_peer
        else [draft.mentee]
    )
    relationship = relationship_create(
        program=program,
        mentor=draft.mentor,
        mentees=mentees,
        source=MatchSource.SMART,
        created_by=actor,
        score=draft.score,
        reasons=reasons_with_sources(draft.run.rules_used.get("criteria", []), draft.reasons),
    )
    moved = DraftMatch.objects.filter(pk=draft.pk, status=DraftStatus.PROPOSED).update(
        status=DraftStatus.APPROVED,
        decided_by=actor,
        decided_at=timezone.now(),
        relationship=relationship,
    )
    if moved != 1:  # pragma: no cover - the row lock above makes this unreachable
        raise MatchRefused("Another coordinator decided this draft meanwhile.", code="race")
    match_requests_withdraw_for(mentees=mentees)
    return relationship


def drafts_approve(*, program: Program, draft_ids: Iterable[int], actor: User) -> ApprovalOutcome:
    """Approve several drafts, each on its own: one refusal does not stop the others."""
    approved, refused = [], []
    for draft_id in draft_ids:
        try:
            approved.append(draft_approve(program=program, draft_id=draft_id, actor=actor))
        except MatchRefused as refusal:
            refused.append(refusal.message)
    return ApprovalOutcome(approved=approved, refused=refused)


@transaction.atomic
def draft_dismiss(*, program: Program, draft_id: int, actor: User) -> DraftMatch:
    """Set a draft aside. Nobody is told: the people never knew it existed."""
    draft = _get_draft_locked(program, draft_id)
    _refuse_if_decided(draft)
    draft.status = DraftStatus.DISMISSED
    draft.decided_by = actor
    draft.decided_at = timezone.now()
    draft.save(update_fields=["status", "decided_by", "decided_at"])
    return draft


# --- Manual matching and swaps ---------------------------------------------------------------


def pair_assessment(program: Program, mentee: Participant, mentor: Participant) -> dict[str, Any]:
    """How the program's current rules judge one pair: score, allowed, excluding rules, reasons."""
    from tandem.matching.solver import candidates_document

    problem = build_problem(
        program, rules_for(program), Segment(scope="all"), only={mentee.pk, mentor.pk}
    )
    for candidate in candidates_document(problem, str(mentee.pk)):
        if candidate["mentor"] == str(mentor.pk):
            return candidate
    raise MatchRefused("These two cannot be paired in this program.", code="not_candidates")


@transaction.atomic
def manual_match_create(
    *,
    program: Program,
    mentee: Participant,
    mentor: Participant,
    actor: User,
    override: Override | None = None,
) -> Relationship:
    """A coordinator pairs two people by hand. Breaking a required rule, like going past a
    mentor's capacity, needs an explicit override with a reason."""
    override = override or Override()
    assessment = pair_assessment(program, mentee, mentor)
    rules_broken = [r for r in assessment["excluded_by"] if r != "min_score"]
    if rules_broken and not override.required_rules:
        raise MatchRefused(
            f"This pair breaks the rule{'s' if len(rules_broken) > 1 else ''} "
            f"{', '.join(rules_broken)}. Override it, with a reason, to match them anyway.",
            code="required_rules",
        )
    relationship = relationship_create(
        program=program,
        mentor=mentor,
        mentees=[mentee],
        source=MatchSource.MANUAL,
        created_by=actor,
        score=assessment["score"],
        reasons=reasons_with_sources(
            [c.as_engine() for c in rules_for(program).criteria.all()], assessment["reasons"]
        ),
        override=override,
    )
    match_requests_withdraw_for(mentees=[mentee])
    return relationship


# Parsed run snapshots kept by this process, newest last: a coordinator reviews the drafts of one
# run (or flips between two), and parsing a 20,000-person snapshot took most of a draft page's
# time. A run's snapshot never changes; the key has the run's creation time as well as its id,
# so a database that reuses an id (SQLite after deleting the newest run) never gets a stale copy.
SNAPSHOTS_KEPT = 2
_snapshots: OrderedDict[tuple[int, str], RunSnapshot] = OrderedDict()
_snapshots_lock = threading.Lock()


def run_snapshot(run: MatchRun) -> RunSnapshot:
    """The run's problem snapshot, parsed (once per process while it stays among the newest).

    Raises EngineInputError if the snapshot cannot be parsed (say, a run with no snapshot).
    """
    key = (run.pk, run.created_at.isoformat())
    with _snapshots_lock:
        found = _snapshots.get(key)
        if found is not None:
            _snapshots.move_to_end(key)
            return found
    document = MatchRun.objects.filter(pk=run.pk).values_list("problem", flat=True).first()
    snapshot = RunSnapshot(document or {})
    with _snapshots_lock:
        _snapshots[key] = snapshot
        while len(_snapshots) > SNAPSHOTS_KEPT:
            _snapshots.popitem(last=False)
    return snapshot


def forget_run_snapshots() -> None:
    """Drop every parsed snapshot this process keeps (tests, whose runs reuse ids and times)."""
    with _snapshots_lock:
        _snapshots.clear()


def swap_alternatives(draft: DraftMatch, *, limit: int = 10) -> list[dict[str, Any]]:
    """Other mentors for a draft's mentee, from the run's own snapshot: allowed ones, best first,
    each with their score and the places they have left in the run."""
    run = draft.run
    try:
        snapshot = run_snapshot(run)
    except EngineInputError:
        return []  # a run without a usable snapshot offers no alternatives
    capacity = snapshot.capacity
    taken = Counter(
        str(mentor_id)
        for mentor_id in DraftMatch.objects.filter(
            run=run, status__in=[DraftStatus.PROPOSED, DraftStatus.APPROVED]
        ).values_list("mentor_id", flat=True)
    )
    current = str(draft.mentor_id)
    with_room = {
        mentor
        for mentor, places in capacity.items()
        if places > taken[mentor] and mentor != current
    }
    try:
        mentee_id = str(draft.mentee_id)
        candidates = snapshot.candidates(
            mentee_id,
            # Mentors with room first (best score first within each group): they can take the
            # mentee without another draft giving way. Reasons are written for these only.
            preferred=with_room,
            allowed_only=True,
            limit=limit + 1,
        )
    except KeyError:
        return []  # the mentee is not in the snapshot: no alternatives from it
    return [
        {**c, "places_left": max(0, capacity.get(c["mentor"], 0) - taken[c["mentor"]])}
        for c in candidates
        if c["mentor"] != current
    ][:limit]


@transaction.atomic
def draft_swap_mentor(
    *, program: Program, draft_id: int, mentor: Participant, actor: User
) -> DraftMatch:
    """Replace a draft's mentor with another allowed one: the old draft is set aside (nobody is
    told) and a new draft takes its place, scored from the same run snapshot."""
    draft = _get_draft_locked(program, draft_id)
    _refuse_if_decided(draft)
    if draft.is_peer:
        raise MatchRefused("Peer drafts have no mentor to swap.", code="peer")
    try:
        candidates = run_snapshot(draft.run).candidates(str(draft.mentee_id))
    except EngineInputError:
        raise MatchRefused(
            "This run kept no usable record of its inputs, so a swap cannot be scored; "
            "start a new run to compare other mentors.",
            code="no_snapshot",
        ) from None
    candidate = next((c for c in candidates if c["mentor"] == str(mentor.pk)), None)
    if candidate is None or not candidate["allowed"]:
        raise MatchRefused(
            f"{mentor.user.display_name} is not an allowed mentor for "
            f"{draft.mentee.user.display_name} under this run's rules.",
            code="not_allowed",
        )
    draft.status = DraftStatus.DISMISSED
    draft.decided_by = actor
    draft.decided_at = timezone.now()
    draft.save(update_fields=["status", "decided_by", "decided_at"])
    replacement, _ = DraftMatch.objects.update_or_create(
        run=draft.run,
        mentee=draft.mentee,
        mentor=mentor,
        defaults={
            "score": candidate["score"],
            "reasons": candidate["reasons"],
            "status": DraftStatus.PROPOSED,
            "decided_by": None,
            "decided_at": None,
        },
    )
    return replacement
