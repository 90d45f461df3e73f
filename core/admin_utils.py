from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """History that only services write: operators look, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
