"""The customer profile operators open in the admin (客户档案): each app contributes the sections it
knows about a member through `<app>/profile.py`'s `profile_sections(user)`, found by name like the
demo and job registries, so the page grows with the apps and the foundation knows none of them."""

from dataclasses import dataclass, field

from core.demo import local_app_modules


@dataclass
class ProfileSection:
    title: str
    facts: list[tuple[str, object]] = field(default_factory=list)  # (label, value) pairs
    columns: list[str] = field(default_factory=list)  # a table, when the section lists rows
    rows: list[list[object]] = field(default_factory=list)
    more_url: str = ""  # the full list in the admin, when the table shows only the latest rows
    empty: str = ""


def profile_sections(user) -> list[ProfileSection]:
    sections = []
    for module in local_app_modules("profile"):
        sections.extend(module.profile_sections(user))
    return sections
