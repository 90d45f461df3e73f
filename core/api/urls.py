from django.urls import path

from core.api import slots

urlpatterns = [
    path("slots/<slug:key>", slots.SlotDetailApi.as_view(), name="slot"),
]
