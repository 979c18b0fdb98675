"""Coordinator pages of a program. Every view fetches through the selectors' access helpers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from tandem.accounts.http import request_user as _user
from tandem.core.ids import parse_id
from tandem.core.pagination import PAGE_PARAMS
from tandem.organizations.selectors import organizations_where_coordinating
from tandem.programs import selectors, services
from tandem.programs.forms import (
    AgendaTemplateForm,
    BulkInviteForm,
    CoordinatorAddForm,
    ImportForm,
    InviteLinkForm,
    ParticipantFilterForm,
    PathwayForm,
    ProgramForm,
    QuestionForm,
)
from tandem.programs.imports import ImportFailed, participants_import_csv
from tandem.programs.matches import matches_for_coordinator
from tandem.programs.models import ParticipantStatus


def _form_errors_from(form: object, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form, field by field where it names them."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None  # type: ignore[attr-defined]
            for e in errors:
                form.add_error(target, e)  # type: ignore[attr-defined]
    else:
        form.add_error(None, error)  # type: ignore[attr-defined]


@login_required
def program_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    programs = selectors.programs_for_coordinator(user)
    can_create = organizations_where_coordinating(user).exists()
    return render(
        request, "programs/program_list.html", {"programs": programs, "can_create": can_create}
    )


@login_required
@require_http_methods(["GET", "POST"])
def program_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    organizations = list(organizations_where_coordinating(user))
    if not organizations:
        raise Http404("You do not coordinate in any organization.")
    form = ProgramForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "organization"}
        organization = form.cleaned_data.get("organization") or organizations[0]
        program = services.program_create(organization=organization, created_by=user, **fields)
        messages.success(request, f"Created {program.name}. Now add its sign-up questions.")
        return redirect("programs:questions", program.pk)
    return render(request, "programs/program_form.html", {"form": form, "program": None})


@login_required
def program_overview(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.get_program_for_coordinator(_user(request), program_id)
    return render(
        request,
        "programs/program_overview.html",
        {
            "program": program,
            "counts": selectors.program_counts(program),
            "statuses": ParticipantStatus,
            "question_count": program.questions.count(),
            "pathway_count": program.pathways.count(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def program_edit(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.get_program_for_coordinator(_user(request), program_id)
    form = ProgramForm(request.POST or None, instance=program)
    if request.method == "POST" and form.is_valid():
        try:
            services.program_update(program=program, fields=form.cleaned_data)
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("programs:overview", program.pk)
    return render(request, "programs/program_form.html", {"form": form, "program": program})


@login_required
@require_POST
def program_status(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.get_program_for_coordinator(_user(request), program_id)
    try:
        services.program_set_status(program=program, status=request.POST.get("status", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{program.name} is now {program.get_status_display().lower()}.")
    return redirect("programs:overview", program.pk)


# --- Questions -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def question_list(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.get_program_for_coordinator(_user(request), program_id)
    form = QuestionForm(request.POST or None, program=program)
    if request.method == "POST" and form.is_valid():
        try:
            services.question_create(program=program, **form.changed_fields())
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, f"Added “{form.cleaned_data['label']}”.")
            return redirect("programs:questions", program.pk)
    return render(
        request,
        "programs/question_list.html",
        {"program": program, "questions": program.questions.all(), "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, program_id: int, question_id: int) -> HttpResponse:
    question = selectors.get_question_for_coordinator(_user(request), program_id, question_id)
    program = question.program
    form = QuestionForm(request.POST or None, instance=question, program=program)
    if request.method == "POST" and form.is_valid():
        # The ModelForm has already copied its values onto `question`; start from the stored row.
        stored = program.questions.get(pk=question.pk)
        try:
            services.question_update(question=stored, fields=form.changed_fields())
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, "Question saved.")
            return redirect("programs:questions", program.pk)
    return render(
        request,
        "programs/question_form.html",
        {"program": program, "question": question, "form": form},
    )


@login_required
@require_POST
def question_delete(request: HttpRequest, program_id: int, question_id: int) -> HttpResponse:
    question = selectors.get_question_for_coordinator(_user(request), program_id, question_id)
    try:
        services.question_delete(question=question)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Deleted “{question.label}”.")
    return redirect("programs:questions", program_id)


@login_required
@require_POST
def question_move(request: HttpRequest, program_id: int, question_id: int) -> HttpResponse:
    question = selectors.get_question_for_coordinator(_user(request), program_id, question_id)
    services.question_move(question=question, offset=-1 if request.POST.get("to") == "up" else 1)
    return redirect("programs:questions", program_id)


# --- Referral pathways -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pathway_list(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.get_program_for_coordinator(_user(request), program_id)
    form = PathwayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.pathway_create(program=program, **form.cleaned_data)
        messages.success(request, f"Added “{form.cleaned_data['name']}”.")
        return redirect("programs:pathways", program.pk)
    return render(
        request,
        "programs/pathway_list.html",
        {"program": program, "pathways": program.pathways.all(), "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def pathway_edit(request: HttpRequest, program_id: int, pathway_id: int) -> HttpResponse:
    pathway = selectors.get_pathway_for_coordinator(_user(request), program_id, pathway_id)
    form = PathwayForm(request.POST or None, instance=pathway)
    if request.method == "POST" and form.is_valid():
        services.pathway_update(pathway=pathway, fields=form.cleaned_data)
        messages.success(request, "Pathway saved.")
        return redirect("programs:pathways", program_id)
    return render(
        request,
        "programs/pathway_form.html",
        {"program": pathway.program, "pathway": pathway, "form": form},
    )


@login_required
@require_POST
def pathway_delete(request: HttpRequest, program_id: int, pathway_id: int) -> HttpResponse:
    pathway = selectors.get_pathway_for_coordinator(_user(request), program_id, pathway_id)
    services.pathway_delete(pathway=pathway)
    messages.success(request, f"Deleted “{pathway.name}”.")
    return redirect("programs:pathways", program_id)


@login_required
@require_POST
def pathway_move(request: HttpRequest, program_id: int, pathway_id: int) -> HttpResponse:
    pathway = selectors.get_pathway_for_coordinator(_user(request), program_id, pathway_id)
    services.pathway_move(pathway=pathway, offset=-1 if request.POST.get("to") == "up" else 1)
    return redirect("programs:pathways", program_id)


# --- Agenda templates ------------------------------------------------------------------------


def _agenda_template_fields(form: AgendaTemplateForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {"title": data["title"], "moment": data["moment"], "prompts": data["prompts"]}


@login_required
@require_http_methods(["GET", "POST"])
def agenda_template_list(request: HttpRequest, program_id: int) -> HttpResponse:
    """The program's library of agenda templates; a new agenda starts from one of them."""
    program = selectors.get_program_for_coordinator(_user(request), program_id)
    form = AgendaTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.agenda_template_create(program=program, **_agenda_template_fields(form))
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, f"Added “{form.cleaned_data['title']}”.")
            return redirect("programs:agenda_templates", program.pk)
    return render(
        request,
        "programs/agenda_template_list.html",
        {"program": program, "templates": program.agenda_templates.all(), "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def agenda_template_edit(request: HttpRequest, program_id: int, template_id: int) -> HttpResponse:
    template = selectors.get_agenda_template_for_coordinator(
        _user(request), program_id, template_id
    )
    form = AgendaTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            services.agenda_template_update(template=template, **_agenda_template_fields(form))
        except ValidationError as error:
            _form_errors_from(form, error)
        else:
            messages.success(request, "Agenda template saved.")
            return redirect("programs:agenda_templates", program_id)
    return render(
        request,
        "programs/agenda_template_form.html",
        {"program": template.program, "template": template, "form": form},
    )


@login_required
@require_POST
def agenda_template_delete(request: HttpRequest, program_id: int, template_id: int) -> HttpResponse:
    template = selectors.get_agenda_template_for_coordinator(
        _user(request), program_id, template_id
    )
    services.agenda_template_delete(template=template)
    messages.success(request, f"Deleted “{template.title}”.")
    return redirect("programs:agenda_templates", program_id)


@login_required
@require_POST
def agenda_template_move(request: HttpRequest, program_id: int, template_id: int) -> HttpResponse:
    template = selectors.get_agenda_template_for_coordinator(
        _user(request), program_id, template_id
    )
    offset = -1 if request.POST.get("to") == "up" else 1
    services.agenda_template_move(template=template, offset=offset)
    return redirect("programs:agenda_templates", program_id)


# --- Coordinators ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def coordinators(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.get_program_for_coordinator(_user(request), program_id)
    candidates = services.program_coordinator_candidates(program)
    form = CoordinatorAddForm(request.POST or None, candidates=candidates)
    if request.method == "POST":
        if "remove" in request.POST:
            remove = parse_id(request.POST["remove"])
            user = program.coordinators.filter(pk=remove).first() if remove is not None else None
            if user is None:
                raise Http404("No such coordinator.")
            try:
                services.program_remove_coordinator(program=program, user=user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request, f"{user.display_name} no longer coordinates this program."
                )
            return redirect("programs:coordinators", program.pk)
        if form.is_valid():
            services.program_add_coordinator(program=program, user=form.cleaned_data["user"])
            messages.success(request, f"{form.cleaned_data['user'].display_name} added.")
            return redirect("programs:coordinators", program.pk)
    return render(
        request,
        "programs/coordinators.html",
        {"program": program, "coordinators": program.coordinators.order_by("email"), "form": form},
    )


# --- Enrolment: invitations and import -------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def invitations(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.get_program_for_coordinator(_user(request), program_id)
    link_form = InviteLinkForm(
        request.POST if "save_link" in request.POST else None, instance=program
    )
    bulk_form = BulkInviteForm(request.POST if "invite" in request.POST else None, program=program)
    if request.method == "POST":
        if "rotate" in request.POST:
            services.program_rotate_invite_link(program=program)
            messages.success(
                request, "A new invite link replaces the old one, which no longer works."
            )
            return redirect("programs:invitations", program.pk)
        if "send_pending" in request.POST:
            sent = services.participants_send_pending_invitations(
                program=program, invited_by=_user(request)
            )
            messages.success(request, f"Sent {sent} invitation{'s' if sent != 1 else ''}.")
            return redirect("programs:invitations", program.pk)
        if "save_link" in request.POST and link_form.is_valid():
            services.program_update(program=program, fields=link_form.cleaned_data)
            messages.success(request, "Invite link settings saved.")
            return redirect("programs:invitations", program.pk)
        if "invite" in request.POST and bulk_form.is_valid():
            invited, skipped = services.participants_invite(
                program=program,
                emails=bulk_form.cleaned_data["emails"],
                role=bulk_form.cleaned_data["role"],
                invited_by=_user(request),
            )
            text = f"Invited {len(invited)} {'person' if len(invited) == 1 else 'people'}."
            if skipped:
                text += f" Skipped {len(skipped)} already in the program."
            messages.success(request, text)
            return redirect("programs:invitations", program.pk)
    join_url = request.build_absolute_uri(f"/join/{program.invite_token}/")
    return render(
        request,
        "programs/invitations.html",
        {
            "program": program,
            "link_form": link_form,
            "bulk_form": bulk_form,
            "join_url": join_url,
            "not_yet_invited": selectors.participants_not_yet_invited(program).count(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def participant_import(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.get_program_for_coordinator(_user(request), program_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = participants_import_csv(
                program=program, file=form.cleaned_data["file"], imported_by=_user(request)
            )
        except ImportFailed as failure:
            errors = failure.errors
        else:
            messages.success(request, result.summary())
            return redirect("programs:participants", program.pk)
    return render(
        request,
        "programs/import.html",
        {"program": program, "form": form, "errors": errors, "questions": program.questions.all()},
    )


# --- Participants ----------------------------------------------------------------------------


@login_required
def participant_list(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.get_program_for_coordinator(_user(request), program_id)
    questions = selectors.filterable_questions(program)
    form = ParticipantFilterForm(request.GET or None, questions=questions)
    filters = selectors.ParticipantFilters()
    if form.is_valid():
        filters = selectors.ParticipantFilters(
            search=form.cleaned_data["q"].strip(),
            role=form.cleaned_data["role"],
            status=form.cleaned_data["status"],
            answers=form.answer_filters(),
        )
    page = selectors.participants_page(program, filters, request.GET)
    query = request.GET.copy()
    for place in ("page", *PAGE_PARAMS):
        query.pop(place, None)
    return render(
        request,
        "programs/participant_list.html",
        {
            "program": program,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            # Row links are this plus the participant's id: one reverse() a page, not fifty.
            "participants_url": reverse("programs:participants", args=[program.pk]),
        },
    )


@login_required
def participant_detail(request: HttpRequest, program_id: int, participant_id: int) -> HttpResponse:
    participant = selectors.get_participant_for_coordinator(
        _user(request), program_id, participant_id
    )
    return render(
        request,
        "programs/participant_detail.html",
        {
            "program": participant.program,
            "participant": participant,
            "answers": selectors.answers_for_participant(participant),
            "matches": matches_for_coordinator(participant),
        },
    )
