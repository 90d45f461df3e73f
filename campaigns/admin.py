"""Django loads an app's admin from here; each play registers its own."""

from campaigns.assist import admin as assist_admin  # noqa: F401
from campaigns.groupbuy import admin as groupbuy_admin  # noqa: F401
from campaigns.lottery import admin as lottery_admin  # noqa: F401
from campaigns.quiz import admin as quiz_admin  # noqa: F401
from campaigns.redpacket import admin as redpacket_admin  # noqa: F401
