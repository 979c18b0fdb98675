from django.contrib import admin

from tandem.organizations.models import CoordinatorInvitation, Membership, Organization


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(CoordinatorInvitation)
class CoordinatorInvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organization", "role", "created_at", "accepted_at")
    list_filter = ("role",)
    search_fields = ("email",)
    raw_id_fields = ("invited_by",)
    readonly_fields = ("token",)
