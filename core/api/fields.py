from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class AbsoluteUrlField(serializers.CharField):
    """A media path or an external URL, rendered absolute against the request."""

    def to_representation(self, value):
        if not value:
            return ""
        request = self.context.get("request")
        if request is not None and value.startswith("/"):
            return request.build_absolute_uri(value)
        return value


class StrictCharField(serializers.CharField):
    """A string and only a string: 5 or ["a"] is a type error, not silently "5"."""

    default_error_messages = {"not_a_string": _("Must be a string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)
