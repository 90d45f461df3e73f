"""Admin forms for staff operations on points (the rules live in points.services.admin_ops)."""

import json
import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from points.services.admin_ops import user_resolve
from points.services.planner import Curve

BULK_GRANT_MAX_FILE_BYTES = 2 * 1024 * 1024


class PointsAdjustForm(forms.Form):
    user = forms.CharField(label=_("user"), max_length=32, help_text=_("User id or phone number."))
    amount = forms.IntegerField(
        label=_("points"),
        min_value=-10_000_000,
        max_value=10_000_000,
        help_text=_("Positive to add, negative to take away."),
    )
    reason = forms.CharField(label=_("reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))
    # Fixed when the form is rendered: submitting it twice posts once.
    key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean_user(self):
        user = user_resolve(self.cleaned_data["user"])
        if user is None:
            raise forms.ValidationError(_("No such user (or several users share this phone number)."))
        return user

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError(_("The amount must not be zero."))
        return amount

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("A reason is required."))
        return reason


class BulkGrantUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("One row per user: phone number or user id, then points. UTF-8 or GBK (Excel)."),
    )
    reason = forms.CharField(label=_("reason"), max_length=200)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > BULK_GRANT_MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        data = upload.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise forms.ValidationError(_("The file is not a text CSV (UTF-8 or GBK)."))

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("A reason is required."))
        return reason


class BulkGrantConfirmForm(forms.Form):
    batch_id = forms.UUIDField(widget=forms.HiddenInput)


# -- the level planner (points.services.planner) -------------------------------------------------


class PlannerActionForm(forms.Form):
    """One action that earns growth, as the planner weighs it."""

    name = forms.CharField(label=_("action"), max_length=100, required=False)
    growth = forms.IntegerField(label=_("growth each time"), min_value=0, max_value=100_000, required=False)
    per_day = forms.DecimalField(
        label=_("times a day"),
        min_value=0,
        max_value=1000,
        max_digits=8,
        decimal_places=3,
        required=False,
        help_text=_("How often an active member does it a day: 1 daily, 0.143 weekly."),
    )

    def clean(self):
        data = super().clean()
        if data.get("name") and (data.get("growth") is None or data.get("per_day") is None):
            raise forms.ValidationError(_("Give the growth and how often, or leave the row empty."))
        return data


PlannerActionFormSet = forms.formset_factory(PlannerActionForm, extra=2, max_num=30, absolute_max=30)


class LevelPlannerForm(forms.Form):
    daily_cap = forms.IntegerField(
        label=_("daily growth cap"), min_value=0, max_value=1_000_000, help_text=_("0: no cap.")
    )
    horizon_days = forms.IntegerField(
        label=_("days to the top level"),
        min_value=1,
        max_value=36_500,
        initial=1095,
        help_text=_("For an active member at the planned pace: 3 years = 1095 days."),
    )
    levels = forms.IntegerField(label=_("number of levels"), min_value=2, max_value=30, initial=5)
    curve = forms.ChoiceField(label=_("curve"), choices=Curve.choices, initial=Curve.EXPONENTIAL)
    parameter = forms.DecimalField(
        label=_("ratio or exponent"),
        required=False,
        min_value=Decimal("0.1"),
        max_value=10,
        max_digits=4,
        decimal_places=2,
        help_text=_(
            "Exponential: each step this many times the one before (default 2). Power: the exponent (default 2)."
        ),
    )
    round_to = forms.IntegerField(label=_("round thresholds to"), min_value=1, max_value=100_000, initial=10)
    names = forms.CharField(
        label=_("level names"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line, lowest first. Empty: the existing names, then Level N."),
    )

    def clean_names(self):
        return [line.strip() for line in self.cleaned_data["names"].splitlines() if line.strip()]


class LevelPlanConfirmForm(forms.Form):
    """The plan the operator saw, sent back to apply it (checked again by levels_apply)."""

    plan = forms.CharField(widget=forms.HiddenInput)

    def clean_plan(self):
        try:
            rows = json.loads(self.cleaned_data["plan"])
            return [(str(name), int(threshold)) for name, threshold in rows]
        except (ValueError, TypeError):
            raise forms.ValidationError(_("This plan is not readable; propose it again.")) from None
