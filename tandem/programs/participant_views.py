"""Pages a participant sees: joining a program, their programs, profile and other support."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from tandem.accounts.forms import SignupForm
from tandem.accounts.http import request_user as _user
from tandem.accounts.services import user_claim_invitation
from tandem.accounts.views import LOGIN_BACKEND
from tandem.programs import selectors, services
from tandem.programs.forms import (
    AnswersForm,
    GuidelinesForm,
    RoleForm,
    WithdrawForm,
    participant_answers_current,
)
from tandem.programs.matches import current_matches_for
from tandem.programs.models import Participant, ParticipantRole, ParticipantStatus, Program

# The join flow keeps its progress in the session, per program: guidelines accepted, role.
_SESSION_KEY = "join:{program_id}"


# --- Joining ---------------------------------------------------------------------------------


def _program_for_link(token: str) -> Program:
    program = Program.objects.select_related("organization").filter(invite_token=token).first()
    if program is None:
        raise Http404("This invite link does not exist. Ask the coordinator for a new one.")
    return program


def _refused(
    request: HttpRequest, program: Program, error: services.EnrolmentRefused
) -> HttpResponse:
    return render(
        request,
        "programs/join_refused.html",
        {"program": program, "message": error.message, "code": error.code},
        status=403 if error.code != "already_joined" else 200,
    )


def join_link(request: HttpRequest, token: str) -> HttpResponse:
    """The open invite link: anonymous visitors sign up or log in, then join."""
    program = _program_for_link(token)
    if not request.user.is_authenticated:
        if not program.is_enrolling or not program.invite_link_open:
            message = (
                f"The invite link for {program.name} is closed."
                if program.is_enrolling
                else f"{program.name} is not open for enrolment."
            )
            return _refused(request, program, services.EnrolmentRefused(message, code="closed"))
        return render(request, "programs/join_welcome.html", {"program": program})
    request.session["join:link"] = program.pk
    return _join_start(request, program)


def join_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """A personal invitation: the link proves the address, so the account is claimed here."""
    participant = (
        Participant.objects.select_related("program", "program__organization", "user")
        .filter(invitation_token=token)
        .first()
    )
    if participant is None:
        raise Http404("This invitation does not exist.")
    program = participant.program
    invited = participant.user
    if participant.invitation_expired:
        return _refused(
            request,
            program,
            services.EnrolmentRefused(
                "This invitation has expired. Ask the program's coordinator to send a new one.",
                code="invitation_expired",
            ),
        )
    if request.user.is_authenticated:
        if request.user.pk != invited.pk:
            return _refused(
                request,
                program,
                services.EnrolmentRefused(
                    f"This invitation is for {invited.email}; you are signed in as "
                    f"{_user(request).email}. Log out and open the link again.",
                    code="wrong_account",
                ),
            )
        return _join_start(request, program)
    if invited.email_verified and invited.has_usable_password():
        return redirect(f"{reverse('login')}?next={request.path}")
    # The link was emailed to the invited address: choosing a password here verifies it, and
    # replaces any password an unverified sign-up set for the address.
    form = SignupForm(request.POST or None, locked_email=invited.email)
    if request.method == "POST" and form.is_valid():
        user = user_claim_invitation(
            user=invited,
            full_name=form.cleaned_data["full_name"],
            password=form.cleaned_data["password1"],
        )
        login(request, user, backend=LOGIN_BACKEND)
        return _join_start(request, program)
    return render(
        request,
        "registration/signup.html",
        {"form": form, "next": request.path, "program": program, "invited": True},
    )


def _join_start(request: HttpRequest, program: Program) -> HttpResponse:
    try:
        services.enrolment_check(program=program, user=_user(request))
    except services.EnrolmentRefused as error:
        return _refused(request, program, error)
    return redirect("programs:join_guidelines", program.pk)


def _joinable_program(request: HttpRequest, program_id: int) -> tuple[Program, HttpResponse | None]:
    """The program being joined, if the person holds its link or an invitation."""
    program = Program.objects.select_related("organization").filter(pk=program_id).first()
    progress = request.session.get(_SESSION_KEY.format(program_id=program_id))
    invited = (
        program is not None
        and Participant.objects.filter(
            program=program, user=_user(request), status=ParticipantStatus.INVITED
        ).exists()
    )
    if program is None or (
        progress is None and not invited and not _came_by_link(request, program)
    ):
        raise Http404("Open the program's invite link to join it.")
    try:
        services.enrolment_check(program=program, user=_user(request))
    except services.EnrolmentRefused as error:
        return program, _refused(request, program, error)
    return program, None


def _came_by_link(request: HttpRequest, program: Program) -> bool:
    return request.session.get("join:link") == program.pk


@login_required
@require_http_methods(["GET", "POST"])
def join_guidelines(request: HttpRequest, program_id: int) -> HttpResponse:
    program, refused = _joinable_program(request, program_id)
    if refused:
        return refused
    form = GuidelinesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        request.session[_SESSION_KEY.format(program_id=program.pk)] = {"accepted": True}
        return redirect("programs:join_role", program.pk)
    return render(
        request,
        "programs/join_guidelines.html",
        {"program": program, "form": form, "pathways": program.pathways.all(), "step": 1},
    )


@login_required
@require_http_methods(["GET", "POST"])
def join_role(request: HttpRequest, program_id: int) -> HttpResponse:
    program, refused = _joinable_program(request, program_id)
    if refused:
        return refused
    key = _SESSION_KEY.format(program_id=program.pk)
    progress = request.session.get(key) or {}
    if not progress.get("accepted"):
        return redirect("programs:join_guidelines", program.pk)
    roles = program.roles_allowed
    if len(roles) == 1:
        request.session[key] = {**progress, "role": roles[0]}
        return redirect("programs:join_answers", program.pk)
    invitation = Participant.objects.filter(program=program, user=_user(request)).first()
    initial = {"role": progress.get("role") or (invitation.role if invitation else None)}
    form = RoleForm(request.POST or None, program=program, initial=initial)
    if request.method == "POST" and form.is_valid():
        request.session[key] = {**progress, "role": form.cleaned_data["role"]}
        return redirect("programs:join_answers", program.pk)
    return render(request, "programs/join_role.html", {"program": program, "form": form, "step": 2})


@login_required
@require_http_methods(["GET", "POST"])
def join_answers(request: HttpRequest, program_id: int) -> HttpResponse:
    program, refused = _joinable_program(request, program_id)
    if refused:
        return refused
    key = _SESSION_KEY.format(program_id=program.pk)
    progress = request.session.get(key) or {}
    if not progress.get("accepted") or not progress.get("role"):
        return redirect("programs:join_guidelines", program.pk)
    role = progress["role"]
    is_mentor = role in (ParticipantRole.MENTOR, ParticipantRole.BOTH)
    # An invited (e.g. imported) person finds the answers the coordinator already has.
    invitation = Participant.objects.filter(program=program, user=_user(request)).first()
    form = AnswersForm(
        request.POST or None,
        questions=list(program.questions.all()),
        role=role,
        current=participant_answers_current(invitation) if invitation else None,
        ask_capacity=is_mentor,
        capacity=(invitation.capacity if invitation else None) or program.default_mentor_capacity,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_join(
                program=program,
                user=_user(request),
                role=role,
                answers=form.answers(),
                capacity=form.cleaned_data.get("capacity"),
            )
        except services.EnrolmentRefused as error:
            return _refused(request, program, error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session.pop(key, None)
            messages.success(request, f"Welcome to {program.name}!")
            return redirect("programs:join_done", program.pk)
    return render(
        request,
        "programs/join_answers.html",
        {"program": program, "form": form, "role": ParticipantRole(role).label, "step": 3},
    )


@login_required
def join_done(request: HttpRequest, program_id: int) -> HttpResponse:
    participant = selectors.get_participation_for(_user(request), program_id)
    if participant.status != ParticipantStatus.JOINED:
        return redirect("programs:my_program", program_id)
    return render(
        request,
        "programs/join_done.html",
        {"program": participant.program, "participant": participant},
    )


# --- My program ------------------------------------------------------------------------------


@login_required
def my_program(request: HttpRequest, program_id: int) -> HttpResponse:
    participant = selectors.get_participation_for(_user(request), program_id)
    return render(
        request,
        "programs/my_program.html",
        {
            "program": participant.program,
            "participant": participant,
            "answers": selectors.answers_for_participant(participant),
            "matches": current_matches_for(participant),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def my_profile(request: HttpRequest, program_id: int) -> HttpResponse:
    participant = selectors.get_participation_for(_user(request), program_id)
    program = participant.program
    form = AnswersForm(
        request.POST or None,
        questions=list(program.questions.all()),
        role=participant.role,
        current=participant_answers_current(participant),
        ask_capacity=participant.is_mentor,
        capacity=participant.capacity,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_update_profile(
                participant=participant,
                answers=form.answers(),
                capacity=form.cleaned_data.get("capacity"),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Your answers are saved.")
            return redirect("programs:my_program", program.pk)
    return render(
        request,
        "programs/my_profile.html",
        {"program": program, "participant": participant, "form": form},
    )


@login_required
def support(request: HttpRequest, program_id: int) -> HttpResponse:
    """Guidelines and referral pathways: "Get other support", reachable from every page."""
    participant = selectors.get_participation_for(_user(request), program_id)
    program = participant.program
    return render(
        request,
        "programs/support.html",
        {"program": program, "participant": participant, "pathways": program.pathways.all()},
    )


@login_required
def mentor_guidance(request: HttpRequest, program_id: int) -> HttpResponse:
    """What to do when a conversation goes beyond mentoring: the coordinators' words."""
    participant = selectors.get_participation_for(_user(request), program_id)
    return render(
        request,
        "programs/mentor_guidance.html",
        {"program": participant.program, "participant": participant},
    )


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, program_id: int) -> HttpResponse:
    """Withdrawing asks first: a page saying what it does, and a box to tick (no script needed)."""
    participant = selectors.get_participation_for(_user(request), program_id)
    # Bound on every POST: an empty one (the old one-click button) must fail, not be ignored.
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_withdraw(participant=participant)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"You have withdrawn from {participant.program.name}.")
        return redirect("home")
    return render(
        request,
        "programs/withdraw.html",
        {"program": participant.program, "participant": participant, "form": form},
    )
