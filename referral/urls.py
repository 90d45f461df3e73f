"""Outside /api/: the landing page a plain QR code opens."""

from django.urls import path

from referral.views import referral_landing

urlpatterns = [
    path("r/<str:code>", referral_landing, name="referral-landing"),
]
