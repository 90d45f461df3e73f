"""Tags (用户标签): who carries which tag, and the operators' manual writes (docs/tags.md).

The reads are what the mall and the plays ask before they sell or let someone draw: "does this
member carry one of these tags?" (`user_has_any_tag`), and "who carries them?" (`users_with_tags`,
`tagged` for a filter on another table). The writes here are the manual ones (the customer list's
actions, a CSV of phones or ids with a preview); the members of a rule tag are replaced every
night by analytics (`analytics.services.tags`), which never touches a manual tag."""

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.models import Tag, User, UserTag

BATCH_SIZE = 1000
IMPORT_MAX_ROWS = 50_000
IMPORT_SIGNING_SALT = "core.tags.import"
_PHONE = re.compile(r"^\+?\d[\d -]{5,18}\d$")


def _tag_ids(tags: Iterable) -> list[int]:
    return [tag.pk if isinstance(tag, Tag) else int(tag) for tag in tags]


# -- reads ----------------------------------------------------------------------------------------


def user_tag_ids(user) -> set[int]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(UserTag.objects.filter(user_id=user.pk).values_list("tag_id", flat=True))


def user_has_any_tag(user, tags: Iterable) -> bool:
    """Whether `user` carries at least one of `tags` (Tag rows or ids); False for no tags at all."""
    ids = _tag_ids(tags)
    if not ids or user is None or not getattr(user, "is_authenticated", False):
        return False
    return UserTag.objects.filter(user_id=user.pk, tag_id__in=ids).exists()


def with_tag_gate(queryset: QuerySet) -> QuerySet:
    """`queryset` (of a model with `tags`, e.g. products, lotteries) with `tag_gated`: whether the
    row is kept for tagged members. Read with the row, so that `tag_refused` on one of the many
    rows that carry no tag costs no query (a flash sale asks on every redemption)."""
    field = queryset.model._meta.get_field("tags")
    through = field.remote_field.through
    return queryset.annotate(tag_gated=Exists(through.objects.filter(**{field.m2m_field_name(): OuterRef("pk")})))


def tag_refused(user, row) -> bool:
    """Whether `row` (a product, a lottery) is kept for tagged members and `user` carries none of
    its tags. A row read through `with_tag_gate` that carries no tag is answered without a query."""
    if getattr(row, "tag_gated", True) is False:
        return False
    required = list(row.tags.values_list("pk", flat=True))
    return bool(required) and not user_has_any_tag(user, required)


def users_with_tags(tags: Iterable) -> QuerySet[User]:
    """Members (not staff, not deactivated) carrying at least one of `tags`."""
    return User.objects.filter(is_staff=False, is_active=True).filter(tagged(tags, user_field="pk"))


def tagged(tags: Iterable, *, user_field: str = "user_id") -> Q:
    """A filter for any table with a user: the row's user carries one of `tags` (an empty Q for no tags)."""
    ids = _tag_ids(tags)
    if not ids:
        return Q()
    return Q(Exists(UserTag.objects.filter(user_id=OuterRef(user_field), tag_id__in=ids)))


def offered_to(user, *, through, owner_field: str) -> Q:
    """A filter for things gated by tags through an M2M `through` table (a product's, a
    lottery's): untagged things, and things that carry one of the user's tags. Anonymous callers
    see only the untagged."""
    gated = through.objects.filter(**{owner_field: OuterRef("pk")})
    allowed = ~Exists(gated)
    if user is not None and getattr(user, "is_authenticated", False):
        mine = UserTag.objects.filter(user_id=user.pk).values("tag_id")
        allowed |= Exists(gated.filter(tag_id__in=mine))
    return Q(allowed)


def tag_member_count(tag: Tag) -> int:
    return UserTag.objects.filter(tag=tag).count()


# -- manual writes --------------------------------------------------------------------------------


def _manual_only(tag: Tag) -> None:
    if tag.kind != Tag.Kind.MANUAL:
        raise ApplicationError(
            "tag_is_rule", _("The members of a rule tag are computed every night; they cannot be set by hand."), 409
        )


@transaction.atomic
def tag_assign(*, tag: Tag, user_ids: Iterable[int], actor=None) -> int:
    """Give a manual tag to members (staff are skipped). Returns how many did not have it yet."""
    _manual_only(tag)
    ids = sorted(set(User.objects.filter(pk__in=list(user_ids), is_staff=False).values_list("pk", flat=True)))
    added = 0
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        have = set(UserTag.objects.filter(tag=tag, user_id__in=batch).values_list("user_id", flat=True))
        rows = [UserTag(tag=tag, user_id=user_id, added_by=actor) for user_id in batch if user_id not in have]
        UserTag.objects.bulk_create(rows, ignore_conflicts=True)  # a concurrent add is the same add
        added += len(rows)
    return added


@transaction.atomic
def tag_unassign(*, tag: Tag, user_ids: Iterable[int]) -> int:
    """Take a manual tag away from members. Returns how many had it."""
    _manual_only(tag)
    ids = list(user_ids)
    removed = 0
    for start in range(0, len(ids), BATCH_SIZE):
        removed += UserTag.objects.filter(tag=tag, user_id__in=ids[start : start + BATCH_SIZE]).delete()[0]
    return removed


# -- a CSV of phones or user ids, previewed then applied ------------------------------------------


@dataclass
class TagImportPreview:
    tag: Tag
    users: list = field(default_factory=list)  # the members the file names, in file order
    already: int = 0  # of those, how many carry the tag already
    unknown: list = field(default_factory=list)  # values that name no member
    ambiguous: list = field(default_factory=list)  # phones shared by several unverified accounts
    skipped: list = field(default_factory=list)  # blank or header-like cells, staff accounts
    token: str = ""  # what the apply step gets back: exactly these users, for this tag

    @property
    def new(self) -> int:
        return len(self.users) - self.already


def _phone(cell: str) -> str:
    digits = re.sub(r"[ -]", "", cell)
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits


def _is_id(cell: str) -> bool:
    return cell.isdigit() and len(cell) < 11  # a mainland mobile number has 11 digits


def _cells(text: str) -> list[str]:
    """The first column of every row (a header row such as `phone` or `手机号` is skipped)."""
    values = []
    for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        cell = row[0].strip() if row else ""
        if cell:
            values.append(cell)
        if len(values) > IMPORT_MAX_ROWS:
            raise ApplicationError("too_many_rows", _("At most %(max)s rows per file.") % {"max": IMPORT_MAX_ROWS}, 400)
    return values


def tag_import_preview(*, tag: Tag, text: str) -> TagImportPreview:
    """Read a CSV whose first column holds phones or user ids, and say who it names, without
    changing anything. A phone names the account that verified it, else the one account that
    typed it; an id names that user."""
    _manual_only(tag)
    preview = TagImportPreview(tag=tag)
    cells = _cells(text)
    ids = {int(c) for c in cells if _is_id(c)}
    phones = {_phone(c) for c in cells if not _is_id(c) and _PHONE.match(c)}
    by_id = {u.pk: u for u in User.objects.filter(pk__in=ids)}
    by_phone: dict[str, list] = {}
    for user in User.objects.filter(phone__in=phones).order_by("-phone_verified", "pk"):
        by_phone.setdefault(user.phone, []).append(user)
    seen: set[int] = set()
    for cell in cells:
        if _is_id(cell):
            user = by_id.get(int(cell))
        elif _PHONE.match(cell):
            found = by_phone.get(_phone(cell), [])
            if len(found) > 1 and not found[0].phone_verified:
                preview.ambiguous.append(cell)
                continue
            user = found[0] if found else None
        else:
            preview.skipped.append(cell)
            continue
        if user is None:
            preview.unknown.append(cell)
        elif user.is_staff:
            preview.skipped.append(cell)
        elif user.pk not in seen:
            seen.add(user.pk)
            preview.users.append(user)
    have = set(UserTag.objects.filter(tag=tag, user_id__in=seen).values_list("user_id", flat=True))
    preview.already = len(have)
    preview.token = signing.dumps({"tag": tag.pk, "users": sorted(seen)}, salt=IMPORT_SIGNING_SALT, compress=True)
    return preview


def tag_import_apply(*, tag: Tag, token: str, actor=None) -> int:
    """Give the tag to exactly the members a preview of this tag listed. Returns how many were new."""
    try:
        data = signing.loads(token, salt=IMPORT_SIGNING_SALT)
    except signing.BadSignature:
        data = None
    if not data or data.get("tag") != tag.pk:
        raise ApplicationError("invalid", _("The preview does not match this tag; upload the file again."), 400)
    return tag_assign(tag=tag, user_ids=data["users"], actor=actor)
