from django.contrib import admin

from core.admin_utils import ReadOnlyAdmin
from events.models import Event


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "kind", "channel", "amount", "ref"]
    list_filter = ["kind"]
    search_fields = ["user__username", "user__nickname", "ref"]
    date_hierarchy = "at"
    list_select_related = ["user"]
    show_full_result_count = False
