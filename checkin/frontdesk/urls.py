"""The front desk's visit page (到店打卡), beside the voucher page (mall.frontdesk), under /staff/."""

from django.urls import path

from checkin.frontdesk import views

urlpatterns = [
    path("", views.visit_desk, name="frontdesk-visits"),
    path("record", views.visit_desk_record, name="frontdesk-visit-record"),
]
