"""Reading settings from the environment, in one place.

Every setting has an embedded default for the demo; settings that production must provide are
collected by `require()` and reported together at start, so a missing one fails loudly and clearly.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def check_required(missing: list[str]) -> None:
    """Fail start-up with one message naming every missing production setting."""
    if missing:
        names = ", ".join(missing)
        raise ImproperlyConfigured(
            f"Missing required settings for a production start (DJANGO_DEBUG is off): {names}. "
            "Set them in the environment; see README.md, section Configuration."
        )
