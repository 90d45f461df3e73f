"""Daily quiz (每日答题): a question bank operators keep in admin, a settings row, one attempt per
user and local day."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.db import ConstraintErrorsOnFields

MAX_OPTIONS = 6


class QuizTopic(models.Model):
    """A subject questions are tagged with (口腔知识...)."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("quiz topic")
        verbose_name_plural = _("quiz topics")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class QuizQuestion(models.Model):
    """A single-choice question: its options in order and the index (from 0) of the right one."""

    topic = models.ForeignKey(
        QuizTopic, verbose_name=_("topic"), on_delete=models.PROTECT, null=True, blank=True, related_name="questions"
    )
    text = models.CharField(_("question"), max_length=300)
    options = models.JSONField(_("options"), default=list)
    correct_index = models.PositiveSmallIntegerField(_("correct option (from 0)"), default=0)
    explanation = models.TextField(_("explanation"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("quiz question")
        verbose_name_plural = _("quiz questions")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(correct_index__lt=MAX_OPTIONS),
                name="quiz_question_correct_index_range",
                violation_error_message=_("The correct option must be one of the options."),
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    def clean(self):
        options = self.options
        if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
            raise ValidationError({"options": _("A question needs 2 to 6 options.")})
        if any(not isinstance(option, str) or not option.strip() for option in options):
            raise ValidationError({"options": _("Every option needs some text.")})
        if self.correct_index >= len(options):
            raise ValidationError({"correct_index": _("The correct option must be one of the options.")})


class QuizConfig(ConstraintErrorsOnFields, models.Model):
    """One row: how many questions a day and what a right answer pays."""

    is_active = models.BooleanField(_("quiz open"), default=True)
    questions_per_day = models.PositiveSmallIntegerField(
        _("questions per day"), default=3, help_text=_("How many questions each user is given a day (1 to 20).")
    )
    points_per_correct = models.PositiveIntegerField(_("points per correct answer"), default=5)
    topics = models.ManyToManyField(
        QuizTopic,
        verbose_name=_("topics"),
        blank=True,
        help_text=_("Draw only from these topics (none chosen: every active question)."),
    )

    class Meta:
        verbose_name = _("quiz settings")
        verbose_name_plural = _("quiz settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(questions_per_day__gte=1) & Q(questions_per_day__lte=20),
                name="quiz_config_questions_per_day_range",
                violation_error_code="questions_per_day",
                violation_error_message=_("Questions per day must be between 1 and 20."),
            ),
        ]

    def __str__(self) -> str:
        return str(_("quiz settings"))


class QuizAttempt(models.Model):
    """A user's answers of one local day, written once (the constraint makes it so under any race)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="quiz_attempts"
    )
    local_date = models.DateField(_("local date"))
    questions = models.JSONField(_("questions"), default=list)  # the ids drawn, in order
    answers = models.JSONField(_("answers"), default=dict)  # question id (str) -> chosen index
    # question id (str) -> the right index when answered: a later edit of a question changes nothing
    solutions = models.JSONField(_("right answers"), default=dict)
    correct = models.PositiveSmallIntegerField(_("correct answers"), default=0)
    points = models.PositiveIntegerField(_("points"), default=0)
    transaction = models.ForeignKey(
        "points.Transaction", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        ordering = ["-local_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "local_date"], name="quiz_attempt_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.local_date}"
