"""Ops slots (运营位): the items a slot shows now, cached; the cache is dropped whenever an
operator saves a slot or an item (the admin calls `slot_cache_clear`)."""

from django.core.cache import cache

from core.clock import now
from core.models import Slot, SlotItem

CACHE_TTL = 300  # seconds; saves clear it at once, the TTL only bounds a missed clear
CACHE_PREFIX = "slots:v1:"


def _cache_key(key: str) -> str:
    return f"{CACHE_PREFIX}{key}"


def _load(key: str) -> list[dict] | None:
    slot = Slot.objects.filter(key=key, is_active=True).first()
    if slot is None:
        return None
    rows = SlotItem.objects.filter(slot=slot, is_active=True).order_by("sort_order", "id")
    return [
        {
            "id": item.pk,
            "title": item.title,
            "image_url": item.image.url if item.image else item.image_url,
            "link_type": item.link_type,
            "target": item.target,
            "starts_at": item.starts_at,
            "ends_at": item.ends_at,
        }
        for item in rows
    ]


def slot_items(*, key: str) -> list[dict] | None:
    """The items `key` shows now, in order, or None for an unknown or inactive slot."""
    items = cache.get(_cache_key(key))
    if items is None:
        items = _load(key)
        cache.set(_cache_key(key), items if items is not None else "missing", CACHE_TTL)
    if items == "missing" or items is None:
        return None
    moment = now()
    return [
        item
        for item in items
        if (item["starts_at"] is None or item["starts_at"] <= moment)
        and (item["ends_at"] is None or moment < item["ends_at"])
    ]


def slot_cache_clear(*, key: str) -> None:
    cache.delete(_cache_key(key))


def slot_save(*, slot: Slot, old_key: str = "") -> Slot:
    """Save a slot (from admin) and drop the cached items of its key (and of its old key)."""
    slot.save()
    slot_cache_clear(key=slot.key)
    if old_key and old_key != slot.key:
        slot_cache_clear(key=old_key)
    return slot
