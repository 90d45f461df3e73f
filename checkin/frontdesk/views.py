"""The front desk's visits (到店打卡): staff scan or type the member code the member shows, and the
visit is recorded and counted as the day's check-in of the member's attendance challenges.

Same login and stores as the voucher page (mall.frontdesk); `visit_record` decides, as it does
for the API. Works without JavaScript; the camera scan is the voucher page's."""

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from checkin.selectors import visits_on
from checkin.services import visit_record
from checkin.services.visits import CHECKED_IN
from core.clock import local_today
from core.exceptions import ApplicationError
from core.privacy import masked_phone
from mall.frontdesk.views import staff_only, store_chosen, stores_of


@require_GET
@staff_only
def visit_desk(request):
    stores = stores_of(request.user)
    store = store_chosen(request, stores)
    context = {
        "stores": stores,
        "store": store,
        "today": visits_on(day=local_today(), stores=[store] if store else []),
    }
    return TemplateResponse(request, "checkin/frontdesk/visits.html", context)


@require_POST
@staff_only
def visit_desk_record(request):
    store_id = request.POST.get("store", "")
    try:
        recorded = visit_record(
            code=request.POST.get("code", ""),
            staff=request.user,
            store_id=int(store_id) if store_id.isdigit() else None,
        )
    except ApplicationError as exc:
        messages.error(request, exc.detail)
        return redirect(f"{reverse('frontdesk-visits')}?store={store_id}")
    member = recorded.member.nickname or str(recorded.member)
    phone = masked_phone(recorded.member)
    who = f"{member} {phone}".strip()
    if recorded.repeat:
        messages.warning(request, _("%(member)s: already recorded today.") % {"member": who})
    else:
        messages.success(request, _("Visit recorded: %(member)s.") % {"member": who})
    for result in recorded.results:
        line = f"{result.challenge.title}: {result.detail}"
        if result.checkin is not None:
            counts = {"count": result.checkins, "required": result.required}
            line += " " + _("(%(count)s of %(required)s days)") % counts
        (messages.success if result.status == CHECKED_IN else messages.info)(request, line)
    if not recorded.results:
        messages.info(request, _("The member is in no attendance challenge today."))
    return redirect(f"{reverse('frontdesk-visits')}?store={recorded.visit.store_id}")
