from django.contrib import admin

from tandem.programs.models import Participant, Program, Question, ReferralPathway


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ("position", "slug", "label", "kind", "audience", "required", "visibility")


class PathwayInline(admin.TabularInline):
    model = ReferralPathway
    extra = 0


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "format", "status", "created_at")
    list_filter = ("status", "format")
    search_fields = ("name", "organization__name")
    filter_horizontal = ("coordinators",)
    readonly_fields = ("invite_token",)
    inlines = [QuestionInline, PathwayInline]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    # Answers are deliberately not shown: private answers stay with coordinators in the product.
    list_display = ("user", "program", "role", "status", "capacity", "joined_at")
    list_filter = ("role", "status")
    search_fields = ("user__email", "program__name")
    raw_id_fields = ("user", "program")
    list_select_related = ("user", "program")
    exclude = ("invitation_token",)
