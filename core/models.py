import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


def generate_username() -> str:
    """Mini-program users never type a username; they get an opaque one."""
    return f"wx_{secrets.token_hex(8)}"


def avatar_upload_to(instance: "User", filename: str) -> str:
    return f"avatars/{instance.pk or 'new'}/{secrets.token_hex(8)}.png"


class User(AbstractUser):
    """Staff log in with username and password; mini-program users are known by their openid."""

    openid = models.CharField(_("openid"), max_length=64, unique=True, null=True, blank=True)
    unionid = models.CharField(_("unionid"), max_length=64, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    nickname = models.CharField(_("nickname"), max_length=64, blank=True)
    avatar = models.ImageField(_("avatar image"), upload_to=avatar_upload_to, blank=True)
    avatar_url = models.URLField(_("avatar URL"), max_length=500, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.nickname or self.username

    @property
    def display_avatar_url(self) -> str:
        """An uploaded avatar wins over a URL from WeChat; the path is relative to MEDIA_URL."""
        if self.avatar:
            return self.avatar.url
        return self.avatar_url
