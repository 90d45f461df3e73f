"""Quiz admin: the question bank and its topics and the settings row, which operators edit;
attempts, written only by the service, read-only."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from campaigns.quiz.models import MAX_OPTIONS, QuizAttempt, QuizConfig, QuizQuestion, QuizTopic
from core.admin_utils import ReadOnlyAdmin


class QuizQuestionForm(forms.ModelForm):
    """Options one per line, the right one by its number from 1, as an operator counts them."""

    options_text = forms.CharField(
        label=_("options"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One option per line, 2 to 6 options, in the order the app shows them."),
    )
    correct_number = forms.IntegerField(
        label=_("correct option"), min_value=1, max_value=MAX_OPTIONS, help_text=_("Its line number, from 1.")
    )

    class Meta:
        model = QuizQuestion
        fields = ["topic", "text", "explanation", "is_active"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2}), "explanation": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["options_text"].initial = "\n".join(self.instance.options)
            self.fields["correct_number"].initial = self.instance.correct_index + 1

    def _update_errors(self, errors):
        # The model names its own fields; this form edits them through two fields of its own.
        renamed = {"options": "options_text", "correct_index": "correct_number"}
        if hasattr(errors, "error_dict"):
            errors.error_dict = {renamed.get(k, k): v for k, v in errors.error_dict.items()}
            for name in renamed.values():
                if name in self._errors and name in errors.error_dict:
                    del errors.error_dict[name]  # already said by clean()
        super()._update_errors(errors)

    def clean(self):
        data = super().clean()
        options = [line.strip() for line in (data.get("options_text") or "").splitlines() if line.strip()]
        if not 2 <= len(options) <= MAX_OPTIONS:
            self.add_error("options_text", _("A question needs 2 to 6 options."))
        number = data.get("correct_number")
        if number is not None and number > len(options):
            self.add_error("correct_number", _("The correct option must be one of the options."))
        self.instance.options = options
        if number is not None:
            self.instance.correct_index = number - 1
        return data


@admin.register(QuizTopic)
class QuizTopicAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(QuizQuestion)
class QuizQuestionAdmin(admin.ModelAdmin):
    form = QuizQuestionForm
    list_display = ("text", "topic", "is_active", "created_at")
    list_filter = ("topic", "is_active")
    search_fields = ("text", "explanation")
    fields = ("topic", "text", "options_text", "correct_number", "explanation", "is_active")


@admin.register(QuizConfig)
class QuizConfigAdmin(admin.ModelAdmin):
    list_display = ("__str__", "is_active", "questions_per_day", "points_per_correct")
    filter_horizontal = ("topics",)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not QuizConfig.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QuizAttempt)
class QuizAttemptAdmin(ReadOnlyAdmin):
    list_display = ("user", "local_date", "correct", "points", "created_at")
    list_filter = ("local_date",)
    search_fields = ("user__nickname", "user__phone")
    date_hierarchy = "local_date"
