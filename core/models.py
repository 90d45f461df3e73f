import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.privacy import member_label


def generate_username() -> str:
    """Mini-program users never type a username; they get an opaque one."""
    return f"wx_{secrets.token_hex(8)}"


def avatar_upload_to(instance: "User", filename: str) -> str:
    return f"avatars/{instance.pk or 'new'}/{secrets.token_hex(8)}.png"


class User(AbstractUser):
    """Staff log in with username and password; mini-program users are known by their openid.

    The profile facts (birthday, gender, city) are optional, given by the member (`PATCH me`):
    WeChat gives none of them. They feed the birthday gift and rule tags (docs/privacy.md)."""

    class Gender(models.TextChoices):
        UNKNOWN = "", _("not given")
        MALE = "male", _("male")
        FEMALE = "female", _("female")

    openid = models.CharField(_("openid"), max_length=64, unique=True, null=True, blank=True)
    unionid = models.CharField(_("unionid"), max_length=64, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    nickname = models.CharField(_("nickname"), max_length=64, blank=True)
    avatar = models.ImageField(_("avatar image"), upload_to=avatar_upload_to, blank=True)
    avatar_url = models.URLField(_("avatar URL"), max_length=500, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True, default="", db_default="")
    city = models.CharField(_("city"), max_length=64, blank=True, default="", db_default="")

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # A verified number belongs to one account: referral rewards count a phone once.
            models.UniqueConstraint(
                fields=["phone"],
                condition=models.Q(phone_verified=True) & ~models.Q(phone=""),
                name="core_user_verified_phone_unique",
                violation_error_message=_("This phone number is already used by another account."),
            ),
        ]

    def __str__(self) -> str:
        return member_label(self)

    @property
    def display_avatar_url(self) -> str:
        """An uploaded avatar wins over a URL from WeChat; the path is relative to MEDIA_URL."""
        if self.avatar:
            return self.avatar.url
        return self.avatar_url


class Slot(models.Model):
    """An ops slot (运营位): a named position in the mini-program where operators place banners."""

    key = models.SlugField(_("key"), max_length=50, unique=True, help_text=_("home_banner, checkin_top, mall_top..."))
    name = models.CharField(_("name"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("ops slot")
        verbose_name_plural = _("ops slots")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name or self.key


class SlotItem(models.Model):
    class LinkType(models.TextChoices):
        PRODUCT = "product", _("mall product")
        CHALLENGE = "challenge", _("challenge")
        GROUPBUY = "groupbuy", _("group-buy")
        PAGE = "page", _("mini-program page")
        URL = "url", _("web URL")

    slot = models.ForeignKey(Slot, verbose_name=_("ops slot"), on_delete=models.CASCADE, related_name="items")
    title = models.CharField(_("title"), max_length=100)
    image = models.ImageField(_("image"), upload_to="slots/", blank=True)
    image_url = models.URLField(_("image URL"), max_length=500, blank=True)
    link_type = models.CharField(_("link type"), max_length=16, choices=LinkType.choices, default=LinkType.PAGE)
    target = models.CharField(
        _("target"), max_length=500, blank=True, help_text=_("An id for product, challenge, group-buy; a path or URL.")
    )
    starts_at = models.DateTimeField(_("shown from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("shown until"), null=True, blank=True)
    sort_order = models.IntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("ops slot item")
        verbose_name_plural = _("ops slot items")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.title


class VerifiedPhone(models.Model):
    """Every number an account has verified, kept when it moves to another: a number counts for
    referrals with the first account that verified it, wherever it is now (A verifies P, moves
    to Q, and P verified by A's invitee B does not pay A)."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="verified_phones")
    phone = models.CharField(_("phone"), max_length=20, db_index=True)
    verified_at = models.DateTimeField(_("verified at"), auto_now_add=True)

    class Meta:
        verbose_name = _("verified phone")
        verbose_name_plural = _("verified phones")
        constraints = [models.UniqueConstraint(fields=["user", "phone"], name="core_verifiedphone_user_phone_unique")]

    def __str__(self) -> str:
        return self.phone


class Tag(models.Model):
    """An operator's label on members (用户标签), set by hand (`manual`) or recomputed every night
    from a rule (`rule`: analytics.TagRule decides who carries it). Tags are stored here, beside
    the user, so the mall and the plays check eligibility (core.tags) without importing analytics."""

    class Kind(models.TextChoices):
        MANUAL = "manual", _("manual")
        RULE = "rule", _("rule (computed nightly)")

    name = models.CharField(_("name"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.MANUAL)
    description = models.CharField(_("description"), max_length=200, blank=True)
    computed_at = models.DateTimeField(_("last computed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserTag(models.Model):
    """A member carrying a tag: added by an operator (a manual tag) or by the nightly run (a rule tag)."""

    # No index of its own: the unique (tag, user) below leads with the tag.
    tag = models.ForeignKey(
        Tag, verbose_name=_("tag"), on_delete=models.CASCADE, related_name="assignments", db_index=False
    )
    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="user_tags")
    added_by = models.ForeignKey(
        User, verbose_name=_("added by"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("tagged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("member tag")
        verbose_name_plural = _("member tags")
        constraints = [models.UniqueConstraint(fields=["tag", "user"], name="core_usertag_once")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.tag_id}"
