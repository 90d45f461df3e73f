"""Growth events: what every app records when a member does something that matters for growth."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    """What happened; the database accepts these and no other (the constraint below)."""

    REGISTERED = "registered", _("registered")
    PHONE_VERIFIED = "phone_verified", _("phone verified")
    SIGNED_IN = "signed_in", _("signed in")
    JOINED = "joined", _("joined a challenge")
    CHECKED_IN = "checked_in", _("checked in")
    WON = "won", _("won")
    REDEEMED = "redeemed", _("redeemed")
    INVITED = "invited", _("invited")
    HELPED = "helped", _("helped")
    DREW = "drew", _("drew a lottery")
    PACKET_OPENED = "packet_opened", _("opened a red packet")
    QUIZZED = "quizzed", _("answered the daily quiz")
    VISITED = "visited", _("visited a store")


class Event(models.Model):
    """One action that matters for growth, written by the service that did it.

    Append-only and narrow (no JSON, one index besides the primary key) so recording costs one
    small INSERT inside the caller's transaction: a rolled-back action leaves no event behind.
    """

    Kind = EventKind

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    channel = models.CharField(_("channel"), max_length=32, blank=True)
    amount = models.BigIntegerField(_("amount"), default=0)
    ref = models.CharField(_("reference"), max_length=64, blank=True)

    class Meta:
        db_table = "analytics_event"  # the table kept its name when events left analytics
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["kind", "at"], name="analytics_event_kind_at")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=EventKind.values),
                name="analytics_event_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
