from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MallConfig(AppConfig):
    """Stores, products, orders, vouchers and their verification (核销), stock, staff roles."""

    name = "mall"
    verbose_name = _("Points mall")
