"""Admin forms for staff operations on points (the rules live in points.services.admin_ops)."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from points.services.admin_ops import user_resolve

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
