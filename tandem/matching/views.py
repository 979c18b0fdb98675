"""Coordinator pages for matching: rules, runs, drafts. A mentor or mentee never reaches them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.http import request_user as _user
from tandem.core.ids import parse_id, parse_ids
from tandem.matching import selectors, services
from tandem.matching.forms import CriterionForm, PairRuleForm, RulesForm, RunForm
from tandem.matching.models import Criterion, DraftStatus, PairRuleKind
from tandem.matching.problems import Segment, rules_for
from tandem.mentorships.services import MatchRefused
from tandem.programs.selectors import get_program_for_coordinator


@login_required
@require_http_methods(["GET", "POST"])
def rules(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_program_for_coordinator(_user(request), program_id)
    matching_rules = rules_for(program)
    rules_form = RulesForm(
        request.POST if "save_rules" in request.POST else None,
        instance=matching_rules,
        program=program,
    )
    criterion_form = CriterionForm(
        request.POST if "add_criterion" in request.POST else None, program=program
    )
    if request.method == "POST":
        if "suggest" in request.POST:
            added = services.criteria_add_suggested(program=program, actor=_user(request))
            messages.success(
                request,
                f"Added {len(added)} suggested rule{'s' if len(added) != 1 else ''}; "
                "adjust their weights to your program."
                if added
                else "No rule to suggest from this program's questions.",
            )
            return redirect("matching:rules", program.pk)
        if "save_rules" in request.POST and rules_form.is_valid():
            services.rules_update(
                program=program, fields=rules_form.cleaned_data, actor=_user(request)
            )
            messages.success(request, "Matching settings saved.")
            return redirect("matching:rules", program.pk)
        if "add_criterion" in request.POST and criterion_form.is_valid():
            services.criterion_create(
                program=program, actor=_user(request), **criterion_form.cleaned_data
            )
            messages.success(request, f"Added the rule “{criterion_form.cleaned_data['name']}”.")
            return redirect("matching:rules", program.pk)
    return render(
        request,
        "matching/rules.html",
        {
            "program": program,
            "rules": matching_rules,
            "criteria": matching_rules.criteria.all(),
            "rules_form": rules_form,
            "criterion_form": criterion_form,
            "pair_rules": selectors.pair_rules_for(program),
        },
    )


@login_required
def rules_preview(request: HttpRequest, program_id: int) -> HttpResponse:
    """What the current rules do to the cohort: loaded into the rules page after it renders."""
    program = get_program_for_coordinator(_user(request), program_id)
    return render(
        request,
        "matching/_preview.html",
        {"program": program, "preview": selectors.rules_preview(program)},
    )


def _get_criterion(request: HttpRequest, program_id: int, criterion_id: int) -> Criterion:
    program = get_program_for_coordinator(_user(request), program_id)
    criterion = Criterion.objects.filter(rules__program=program, pk=criterion_id).first()
    if criterion is None:
        raise Http404("No such rule.")
    criterion.rules.program = program
    return criterion


@login_required
@require_http_methods(["GET", "POST"])
def criterion_edit(request: HttpRequest, program_id: int, criterion_id: int) -> HttpResponse:
    criterion = _get_criterion(request, program_id, criterion_id)
    program = criterion.rules.program
    form = CriterionForm(request.POST or None, instance=criterion, program=program)
    if request.method == "POST" and form.is_valid():
        services.criterion_update(criterion=criterion, fields=form.cleaned_data)
        messages.success(request, "Rule saved.")
        return redirect("matching:rules", program.pk)
    return render(
        request,
        "matching/criterion_form.html",
        {"program": program, "criterion": criterion, "form": form},
    )


@login_required
@require_POST
def criterion_delete(request: HttpRequest, program_id: int, criterion_id: int) -> HttpResponse:
    criterion = _get_criterion(request, program_id, criterion_id)
    services.criterion_delete(criterion=criterion)
    messages.success(request, f"Deleted the rule “{criterion.name}”.")
    return redirect("matching:rules", program_id)


@login_required
@require_http_methods(["GET", "POST"])
def runs(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_program_for_coordinator(_user(request), program_id)
    form = RunForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        answer = (
            {"question": form.cleaned_data["question"], "value": form.cleaned_data["value"]}
            if form.cleaned_data.get("question")
            else {}
        )
        try:
            run = services.match_run_start(
                program=program,
                started_by=_user(request),
                segment=Segment(scope=form.cleaned_data["scope"], answer=answer),
            )
        except services.RunRefused as refusal:
            messages.error(request, refusal.message)
            return redirect("matching:runs", program.pk)
        return redirect("matching:run", program.pk, run.pk)
    return render(
        request,
        "matching/runs.html",
        {
            "program": program,
            "form": form,
            "runs": selectors.runs_for_program(program)[:50],
            "criteria_count": rules_for(program).criteria.count(),
        },
    )


@login_required
def run_detail(request: HttpRequest, program_id: int, run_id: int) -> HttpResponse:
    run = selectors.get_run_for_coordinator(_user(request), program_id, run_id)
    status = request.GET.get("status", DraftStatus.PROPOSED)
    if status not in DraftStatus.values and status != "":
        status = DraftStatus.PROPOSED
    counts = selectors.draft_counts(run)
    shown = counts[status] if status else sum(counts.values())
    return render(
        request,
        "matching/run.html",
        {
            "program": run.program,
            "run": run,
            "page": selectors.drafts_page(run, status, request.GET.get("page"), count=shown),
            "counts": counts,
            "status": status,
            "statuses": DraftStatus,
            "unmatched": selectors.unmatched_people(run) if run.is_finished else [],
            "segment": Segment.from_json(run.segment),
            # Row links are these plus an id and "/": two reverse() calls a page, not 250.
            "draft_url": reverse("matching:draft", args=[run.program.pk, 0]).removesuffix("0/"),
            "participants_url": reverse("programs:participants", args=[run.program.pk]),
        },
    )


@login_required
def run_progress(request: HttpRequest, program_id: int, run_id: int) -> HttpResponse:
    """The run's status box alone; the run page polls it until the run finishes."""
    run = selectors.get_run_for_coordinator(_user(request), program_id, run_id)
    response = render(request, "matching/_run_progress.html", {"program": run.program, "run": run})
    if run.is_finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # show the drafts now that they exist
    return response


@login_required
@require_POST
def run_approve(request: HttpRequest, program_id: int, run_id: int) -> HttpResponse:
    run = selectors.get_run_for_coordinator(_user(request), program_id, run_id)
    if "all" in request.POST:
        ids = list(
            run.drafts.filter(status=DraftStatus.PROPOSED)
            .order_by("-score", "id")
            .values_list("pk", flat=True)
        )
    else:
        ids = parse_ids(request.POST.getlist("draft"))
    if not ids:
        messages.error(request, "Select the drafts to approve.")
        return redirect("matching:run", program_id, run_id)
    outcome = services.drafts_approve(program=run.program, draft_ids=ids, actor=_user(request))
    if outcome.approved:
        n = len(outcome.approved)
        messages.success(
            request, f"Approved {n} match{'es' if n != 1 else ''}; both sides are told."
        )
    for refusal in outcome.refused[:10]:
        messages.error(request, refusal)
    return redirect("matching:run", program_id, run_id)


@login_required
def draft_detail(request: HttpRequest, program_id: int, draft_id: int) -> HttpResponse:
    draft = selectors.get_draft_for_coordinator(_user(request), program_id, draft_id)
    program = draft.run.program
    context: dict[str, object] = {"program": program, "draft": draft}
    if draft.is_peer:
        context["peers"] = selectors.peers_of(draft)
    else:
        assert draft.mentor is not None
        draft.mentee.program = draft.mentor.program = program
        context["profiles"] = selectors.side_by_side(draft.mentee, draft.mentor, draft.reasons)
        context["pair_form"] = PairRuleForm(
            initial={"mentee": draft.mentee_id, "mentor": draft.mentor_id}
        )
        if draft.status == DraftStatus.PROPOSED:
            context["alternatives"] = selectors.with_participants(
                services.swap_alternatives(draft), key="mentor"
            )
    return render(request, "matching/draft.html", context)


@login_required
@require_POST
def draft_approve(request: HttpRequest, program_id: int, draft_id: int) -> HttpResponse:
    draft = selectors.get_draft_for_coordinator(_user(request), program_id, draft_id)
    try:
        services.draft_approve(program=draft.run.program, draft_id=draft.pk, actor=_user(request))
    except MatchRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, "Match approved; everyone in it is told.")
    return redirect("matching:run", program_id, draft.run_id)


@login_required
@require_POST
def draft_swap(request: HttpRequest, program_id: int, draft_id: int) -> HttpResponse:
    draft = selectors.get_draft_for_coordinator(_user(request), program_id, draft_id)
    program = draft.run.program
    mentor_id = parse_id(request.POST.get("mentor"))
    mentor = (
        program.participants.select_related("user").filter(pk=mentor_id).first()
        if mentor_id is not None
        else None
    )
    if mentor is None:
        messages.error(request, "Choose one of the mentors listed to swap in.")
        return redirect("matching:draft", program_id, draft.pk)
    try:
        replacement = services.draft_swap_mentor(
            program=program, draft_id=draft.pk, mentor=mentor, actor=_user(request)
        )
    except MatchRefused as refusal:
        messages.error(request, refusal.message)
        return redirect("matching:draft", program_id, draft.pk)
    messages.success(request, f"{mentor.user.display_name} is now the proposed mentor.")
    return redirect("matching:draft", program_id, replacement.pk)


@login_required
@require_POST
def draft_dismiss(request: HttpRequest, program_id: int, draft_id: int) -> HttpResponse:
    draft = selectors.get_draft_for_coordinator(_user(request), program_id, draft_id)
    try:
        services.draft_dismiss(program=draft.run.program, draft_id=draft.pk, actor=_user(request))
    except MatchRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, "Draft dismissed. Nobody is told.")
    return redirect("matching:run", program_id, draft.run_id)


@login_required
@require_POST
def pair_rule_create(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_program_for_coordinator(_user(request), program_id)
    form = PairRuleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a mentee, a mentor, and whether to pin or forbid them.")
        return redirect("matching:rules", program.pk)
    people = {
        p.pk: p
        for p in program.participants.filter(
            pk__in=[form.cleaned_data["mentee"], form.cleaned_data["mentor"]]
        ).select_related("user")
    }
    mentee, mentor = (
        people.get(form.cleaned_data["mentee"]),
        people.get(form.cleaned_data["mentor"]),
    )
    if mentee is None or mentor is None:
        raise Http404("No such participant.")
    try:
        services.pair_rule_set(
            program=program,
            mentee=mentee,
            mentor=mentor,
            kind=form.cleaned_data["kind"],
            actor=_user(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        verb = "pinned" if form.cleaned_data["kind"] == PairRuleKind.PINNED else "forbidden"
        messages.success(
            request,
            f"{mentee.user.display_name} and {mentor.user.display_name} are {verb} in every "
            "later run. Run smart match again to see the effect.",
        )
    return redirect("matching:rules", program.pk)


@login_required
@require_POST
def pair_rule_delete(request: HttpRequest, program_id: int, rule_id: int) -> HttpResponse:
    program = get_program_for_coordinator(_user(request), program_id)
    rule = selectors.pair_rules_for(program).filter(pk=rule_id).first()
    if rule is None:
        raise Http404("No such pair rule.")
    services.pair_rule_delete(rule=rule)
    messages.success(request, "Pair rule removed.")
    return redirect("matching:rules", program.pk)
