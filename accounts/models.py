from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import User


class AccountDeletion(models.Model):
    """A member deleted their account (`DELETE /api/me`): when, and what closing it settled.

    No personal data: the user row it points at is anonymised in the same transaction. The
    digests are keyed hashes (HMAC with the SECRET_KEY) of the WeChat openid and unionid the
    account had, so the same WeChat account registering again is a fresh account that gets no
    second welcome gift and binds to no inviter (docs/privacy.md)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="deletion"
    )
    openid_digest = models.CharField(_("openid digest"), max_length=64, blank=True, db_index=True)
    unionid_digest = models.CharField(_("unionid digest"), max_length=64, blank=True, db_index=True)
    points_forfeited = models.BigIntegerField(_("points forfeited"), default=0)
    orders_cancelled = models.PositiveIntegerField(_("orders cancelled"), default=0)
    groups_failed = models.PositiveIntegerField(_("group-buys refunded"), default=0)
    tasks_expired = models.PositiveIntegerField(_("assist tasks closed"), default=0)
    deleted_at = models.DateTimeField(_("deleted at"), auto_now_add=True, db_index=True)
    swept_at = models.DateTimeField(
        _("last swept at"),
        null=True,
        blank=True,
        help_text=_("When the nightly sweep last forfeited points that reached the account after it was deleted."),
    )

    class Meta:
        verbose_name = _("account deletion")
        verbose_name_plural = _("account deletions")
        ordering = ["-deleted_at"]

    def __str__(self) -> str:
        return f"#{self.user_id} {self.deleted_at:%Y-%m-%d %H:%M}"


class CustomerManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(is_staff=False)


class Customer(User):
    """Customers (客户): the members of the mini-program as operators see them, staff accounts
    aside. A proxy of core's User: no table of its own."""

    objects = CustomerManager()

    class Meta:
        proxy = True
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        default_permissions = ("view",)  # the profile is read-only; accounts are edited as users
