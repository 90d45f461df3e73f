from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html


def absolute_url(request, value: str) -> str:
    """A media path made absolute against the request; an external URL (or nothing) as it is."""
    if not value:
        return ""
    if request is not None and value.startswith("/"):
        return request.build_absolute_uri(value)
    return value


class AbsoluteUrlField(serializers.CharField):
    """A media path or an external URL, rendered absolute against the request."""

    def to_representation(self, value):
        return absolute_url(self.context.get("request"), value)


class FormValueAsSent:
    """A field mixin: a form field sent empty is an empty string, as in JSON. DRF would read it as
    "not sent" (skipping a field that may not be blank) or, where null is allowed, as null."""

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            return dictionary.get(self.field_name)
        return super().get_value(dictionary)


class StrictCharField(FormValueAsSent, serializers.CharField):
    """A string and only a string: 5 or ["a"] is a type error, not silently "5"."""

    default_error_messages = {"not_a_string": _("Must be a string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        # The schema's maxLength counts what was sent; DRF would count it after trimming spaces.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictDateField(FormValueAsSent, serializers.DateField):
    """An ISO date, or null where allowed: a form field sent empty is an invalid date, as in JSON."""

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["iso-8601"])
        super().__init__(**kwargs)


@extend_schema_field({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "05:00"})
class HourMinuteField(serializers.TimeField):
    """A wall-clock time rendered "HH:MM" (the schema says so: it is not an ISO `time`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M")
        super().__init__(**kwargs)


@extend_schema_field({"type": "string", "maxLength": 500, "anyOf": [{"format": "uri"}, {"maxLength": 0}]})
class OptionalUrlField(serializers.CharField):
    """An http(s) or ftp URL, or "" to clear it (the schema says both)."""

    default_error_messages = {"invalid": _("Enter a valid URL.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        # Checked here, not in `validators`, so the schema keeps its "uri or empty" (not plain "uri").
        try:
            URLValidator()(value)
        except DjangoValidationError:
            self.fail("invalid")
        return value


class QueryInput(serializers.Serializer):
    """The base of every query-string serializer.

    DRF reads `?limit=` as "not sent" and quietly applies the default; the schema says an integer,
    so an empty value is a 400 like any other wrong type. Fields that allow blank keep "".
    """

    default_error_messages = {"empty": _("This value may not be empty.")}

    def to_internal_value(self, data):
        if html.is_html_input(data):
            empty = {
                name: [self.error_messages["empty"]]
                for name, field in self.fields.items()
                if not field.read_only
                and name in data
                and data.get(name) == ""
                and not getattr(field, "allow_blank", False)
            }
            if empty:
                raise serializers.ValidationError(empty)
        return super().to_internal_value(data)
