import csv

from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReadOnlyAdmin(admin.ModelAdmin):
    """History that only services write: operators look, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceWrittenAdmin(admin.ModelAdmin):
    """Rows that services write and operators act on (actions), but never add, edit or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


def csv_export_action(columns: list[tuple[str, object]], *, filename: str):
    """An admin action that downloads the selected rows (use "select all" for the whole filtered
    list) as CSV. `columns` are (header, how): `how` is an attribute path ("product__name") or a
    callable of the row; headers are lazily translated, members appear as nickname and masked
    phone (their str), never an internal username."""

    @admin.action(description=_("Export selected as CSV"))
    def export_csv(modeladmin, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}-{timezone.localdate():%Y%m%d}.csv"'
        response.write("\ufeff")  # Excel reads UTF-8 (Chinese) only with a BOM
        writer = csv.writer(response)
        writer.writerow([str(header) for header, _how in columns])
        for row in queryset.iterator(chunk_size=2000):
            writer.writerow([_csv_value(row, how) for _header, how in columns])
        return response

    return export_csv


def _csv_value(row, how) -> str:
    value = how(row) if callable(how) else _attribute(row, how)
    if value is None:
        return ""
    if hasattr(value, "isoformat") and hasattr(value, "tzinfo"):  # a datetime: the site's wall clock
        value = timezone.localtime(value) if value.tzinfo else value
        return value.strftime("%Y-%m-%d %H:%M")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _attribute(row, path: str):
    value = row
    for part in path.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    display = getattr(row, f"get_{path}_display", None) if "__" not in path else None
    return display() if display else value
