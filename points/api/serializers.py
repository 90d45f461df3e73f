from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.fields import QueryInput
from points.models import PointsTask


class PointsHistoryEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.IntegerField(help_text=_("Signed: positive credits, negative debits."))
    kind = serializers.CharField(source="transaction.kind")
    memo = serializers.CharField(source="transaction.memo")
    balance_after = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class PointsExpiringOutput(serializers.Serializer):
    points = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class PointsHistoryOutput(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = PointsHistoryEntryOutput(many=True)
    expiring_soon = PointsExpiringOutput(many=True, help_text=_("Points that expire soon, soonest first."))


class PointsTaskOutput(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    points = serializers.IntegerField()
    growth = serializers.IntegerField()
    frequency = serializers.ChoiceField(choices=PointsTask.Frequency.choices)
    done = serializers.BooleanField(help_text=_("No more completions this period."))
    available = serializers.BooleanField(help_text=_("The app may complete it now."))


class PointsTaskCompleteOutput(serializers.Serializer):
    awarded = serializers.IntegerField(help_text=_("Points awarded."))
    growth = serializers.IntegerField(help_text=_("Growth value awarded."))
    points = serializers.IntegerField(help_text=_("Points balance after."))


class SigninOutput(serializers.Serializer):
    date = serializers.DateField()
    streak = serializers.IntegerField()
    awarded = serializers.IntegerField(help_text=_("Points awarded."))
    points = serializers.IntegerField(help_text=_("Points balance after."))


class SigninCalendarInput(QueryInput):
    month = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", help_text=_("YYYY-MM"))

    # A sane range, not the whole of `datetime`: the calendar ends at the first of the next month,
    # which for 9999-12 is past date.max (a 500), and no one signed in before 2000.
    FIRST_YEAR, LAST_YEAR = 2000, 2100

    def validate_month(self, value: str) -> tuple[int, int]:
        year, month = value.split("-")
        if not self.FIRST_YEAR <= int(year) <= self.LAST_YEAR:
            raise serializers.ValidationError(
                _("The year must be from %(first)d to %(last)d.") % {"first": self.FIRST_YEAR, "last": self.LAST_YEAR}
            )
        return int(year), int(month)


class SigninCalendarOutput(serializers.Serializer):
    days = serializers.ListField(child=serializers.DateField(), help_text=_("Signed dates."))
    streak = serializers.IntegerField()


class SigninMakeupInput(serializers.Serializer):
    date = serializers.DateField(help_text=_("YYYY-MM-DD, a missed day of this month."))

    def to_internal_value(self, data):
        if isinstance(data, dict) and "date" in data and not isinstance(data["date"], str):
            raise serializers.ValidationError({"date": [_("Must be a string.")]})
        return super().to_internal_value(data)


class SigninMakeupOutput(serializers.Serializer):
    date = serializers.DateField()
    streak = serializers.IntegerField(help_text=_("Current streak."))
    cost = serializers.IntegerField(help_text=_("Points paid."))
    points = serializers.IntegerField(help_text=_("Points balance after."))
