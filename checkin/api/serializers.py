from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from checkin.models import Challenge
from checkin.services.leaderboards import BOARDS
from core.api.fields import AbsoluteUrlField, HourMinuteField, QueryInput, StrictCharField, absolute_url
from core.privacy import masked_phone

# -- input --------------------------------------------------------------------------------------


class StrictIntegerField(serializers.IntegerField):
    """An integer and only an integer: "10", 10.5 or true are type errors."""

    default_error_messages = {"not_an_integer": _("Must be an integer.")}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("not_an_integer")
        return super().to_internal_value(data)


class ChallengeJoinInput(serializers.Serializer):
    stake = StrictIntegerField(min_value=1, max_value=10**12, help_text=_("Points to stake."))


class ChallengeCheckinInput(serializers.Serializer):
    note = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    image_url = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


class ChallengeMakeupInput(serializers.Serializer):
    date = serializers.DateField(help_text=_("The missed business day, YYYY-MM-DD."))


class ChallengeLeaderboardQuery(QueryInput):
    board = serializers.ChoiceField(choices=BOARDS, default="winnings")
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)


class ChallengeSubscribeInput(serializers.Serializer):
    template_id = StrictCharField(
        max_length=64, help_text=_("A template the user accepted in wx.requestSubscribeMessage.")
    )


# -- output -------------------------------------------------------------------------------------


class ChallengeEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    round = serializers.IntegerField()
    stake = serializers.IntegerField()
    checkins = serializers.IntegerField()
    makeups_used = serializers.IntegerField()
    status = serializers.CharField()
    payout = serializers.IntegerField(allow_null=True, help_text=_("Paid points once settled, else null."))
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class ChallengeCurrentRoundOutput(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text=_("Null until the first participant joins."))
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    pool = serializers.IntegerField(help_text=_("Stakes plus the operator's bonus (and any rolled-over points)."))
    participants = serializers.IntegerField()
    enroll_closes_at = serializers.DateTimeField()


class ChallengeTodayOutput(serializers.Serializer):
    date = serializers.DateField()
    window_opens_at = serializers.DateTimeField()
    window_closes_at = serializers.DateTimeField()
    window_open = serializers.BooleanField()
    entry = ChallengeEntryOutput(allow_null=True)
    checked_in = serializers.BooleanField()


class ChallengeOutput(serializers.Serializer):
    id = serializers.IntegerField(source="challenge.pk")
    title = serializers.CharField(source="challenge.title")
    cover_url = AbsoluteUrlField(source="challenge.cover_url")
    kind = serializers.CharField(source="challenge.kind")
    checkin_by = serializers.ChoiceField(
        source="challenge.checkin_by",
        choices=Challenge.CheckinBy.choices,
        help_text=_("`visit`: checked in at the store's desk by a scan of the member code, not in the app."),
    )
    timezone = serializers.CharField(source="challenge.timezone")
    day_cutoff = HourMinuteField(source="challenge.day_cutoff")
    window_start = HourMinuteField(source="challenge.window_start")
    window_end = HourMinuteField(source="challenge.window_end")
    stake_min = serializers.IntegerField(source="challenge.stake_min")
    stake_max = serializers.IntegerField(source="challenge.stake_max")
    bonus = serializers.IntegerField(source="challenge.bonus")
    max_participants = serializers.IntegerField(source="challenge.max_participants")
    split_rule = serializers.CharField(source="challenge.split_rule")
    no_winner_rule = serializers.CharField(source="challenge.no_winner_rule")
    duration_days = serializers.IntegerField(source="challenge.duration_days")
    required_days = serializers.IntegerField(source="challenge.required_days")
    makeup_limit = serializers.IntegerField(source="challenge.makeup_limit")
    makeup_cost = serializers.IntegerField(source="challenge.makeup_cost")
    current_round = ChallengeCurrentRoundOutput(allow_null=True)
    my_entry = ChallengeEntryOutput(allow_null=True)
    today = ChallengeTodayOutput()


class ChallengeDetailOutput(ChallengeOutput):
    rules_text = serializers.CharField(source="challenge.rules_text")


class ChallengeCheckinOutput(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField(source="local_date")
    checked_in_at = serializers.DateTimeField()
    makeup = serializers.BooleanField()
    note = serializers.CharField()
    image_url = serializers.CharField()


class ChallengeBoardUserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    nickname = serializers.CharField()
    avatar_url = AbsoluteUrlField()


class ChallengeBoardRowOutput(serializers.Serializer):
    rank = serializers.IntegerField()
    user = ChallengeBoardUserOutput()
    score = serializers.IntegerField(
        help_text=_("Winnings: points. Streak: days. Early: seconds after the window opened.")
    )
    checked_in_at = serializers.DateTimeField(required=False, help_text=_("Early board only."))


class ChallengeBoardMeOutput(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    score = serializers.IntegerField(allow_null=True)


class ChallengeLeaderboardOutput(serializers.Serializer):
    board = serializers.CharField()
    date = serializers.DateField(allow_null=True, help_text=_("Early board: the business day shown."))
    entries = ChallengeBoardRowOutput(many=True)
    me = ChallengeBoardMeOutput()

    def to_representation(self, instance):
        # The most read endpoint, rendered by hand from leaderboard_body's plain values: DRF's
        # field-by-field rendering of the nested rows took a sixth of the request. The fields
        # above stay the contract (the schema); a test holds both renderings equal.
        request = self.context.get("request")
        date_field = self.fields["date"]
        moment_field = self.fields["entries"].child.fields["checked_in_at"]
        entries = []
        for row in instance["entries"]:
            user = row["user"]
            rendered = {
                "rank": row["rank"],
                "user": {
                    "id": user["id"],
                    "nickname": user["nickname"],
                    "avatar_url": absolute_url(request, user["avatar_url"]),
                },
                "score": row["score"],
            }
            if row.get("checked_in_at") is not None:
                rendered["checked_in_at"] = moment_field.to_representation(row["checked_in_at"])
            entries.append(rendered)
        me = instance["me"]
        return {
            "board": instance["board"],
            "date": date_field.to_representation(instance["date"]) if instance["date"] is not None else None,
            "entries": entries,
            "me": {"rank": me["rank"], "score": me["score"]},
        }


class ChallengeRoundReportOutput(serializers.Serializer):
    id = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    status = serializers.CharField()
    outcome = serializers.CharField()
    pool = serializers.IntegerField()
    participants = serializers.IntegerField()
    winners = serializers.IntegerField()
    winners_stake = serializers.IntegerField()
    paid_total = serializers.IntegerField()
    rollover_total = serializers.IntegerField()
    settled_at = serializers.DateTimeField(allow_null=True)
    my_stake = serializers.IntegerField(allow_null=True)
    my_status = serializers.CharField(allow_null=True)
    my_payout = serializers.IntegerField(allow_null=True)


class MyChallengeEntryChallengeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class MyChallengeEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    challenge = MyChallengeEntryChallengeOutput(source="round.challenge")
    round = serializers.IntegerField(source="round_id")
    start_date = serializers.DateField(source="round.start_date")
    end_date = serializers.DateField(source="round.end_date")
    round_status = serializers.CharField(source="round.status")
    stake = serializers.IntegerField()
    checkins = serializers.IntegerField()
    makeups_used = serializers.IntegerField()
    status = serializers.CharField()
    outcome = serializers.CharField(allow_null=True)
    payout = serializers.SerializerMethodField(help_text=_("Paid points once settled, else null."))
    joined_at = serializers.DateTimeField(source="created_at")

    def get_payout(self, entry) -> int | None:
        return entry.payout if entry.paid_at is not None else None


class ChallengeSubscribeOutput(serializers.Serializer):
    template_id = serializers.CharField()
    credits = serializers.IntegerField()


class VisitInput(serializers.Serializer):
    code = StrictCharField(max_length=64, help_text=_("The member code, scanned or typed."))
    store = StrictIntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text=_("The store where the visit happens; default: the staff member's first store."),
    )


class VisitMemberOutput(serializers.Serializer):
    id = serializers.IntegerField()
    nickname = serializers.CharField()
    phone = serializers.SerializerMethodField(help_text=_("The verified phone, masked; empty when none."))

    def get_phone(self, member) -> str:
        return masked_phone(member)


class VisitOutput(serializers.Serializer):
    id = serializers.IntegerField()
    store = serializers.CharField(source="store.name")
    date = serializers.DateField(source="local_date")
    recorded_at = serializers.DateTimeField(source="created_at")


class VisitChallengeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class VisitCheckinOutput(serializers.Serializer):
    challenge = VisitChallengeOutput()
    status = serializers.CharField(
        help_text=_(
            "`checked_in`, `already_checked_in`, or why the visit did not count: `checkin_window_closed`, "
            "`not_enrolled`."
        )
    )
    detail = serializers.CharField()
    checkins = serializers.IntegerField(
        allow_null=True, help_text=_("The member's check-ins in the round so far; null when the visit did not count.")
    )
    required = serializers.IntegerField(
        allow_null=True, help_text=_("Check-ins the round requires; null when the visit did not count.")
    )


class VisitRecordedOutput(serializers.Serializer):
    member = VisitMemberOutput()
    visit = VisitOutput()
    repeat = serializers.BooleanField(help_text=_("The member's visit today was already recorded."))
    checkins = VisitCheckinOutput(many=True, source="results")
