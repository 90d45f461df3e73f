from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class QuizQuestionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    options = serializers.ListField(child=serializers.CharField(), help_text=_("In order; answers name them from 0."))


class QuizExplanationOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The question."))
    chosen = serializers.IntegerField(allow_null=True, help_text=_("The option the caller chose."))
    answer = serializers.IntegerField(allow_null=True, help_text=_("The right option."))
    is_correct = serializers.BooleanField()
    explanation = serializers.CharField()


class QuizResultOutput(serializers.Serializer):
    correct = serializers.IntegerField(help_text=_("How many answers were right."))
    awarded = serializers.IntegerField(help_text=_("Points paid for them."))
    points = serializers.IntegerField(help_text=_("The caller's balance now."))
    explanations = QuizExplanationOutput(many=True)


class QuizTodayOutput(serializers.Serializer):
    date = serializers.DateField(help_text=_("The local day of this quiz."))
    questions = QuizQuestionOutput(many=True)
    answered = serializers.BooleanField()
    result = QuizResultOutput(allow_null=True, help_text=_("Once answered: the result, as the answer gave it."))


class QuizAnswerInput(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=100),
        allow_empty=False,
        help_text=_("Question id -> the chosen option's index (from 0), one for every question of today."),
    )

    def validate_answers(self, value):
        parsed = {}
        for key, index in value.items():
            if not str(key).isdigit() or len(str(key)) > 18:
                raise serializers.ValidationError(_("Question ids are whole numbers."))
            parsed[int(key)] = index
        return parsed

    def to_internal_value(self, data):
        answers = data.get("answers") if hasattr(data, "get") else None
        if isinstance(answers, dict) and any(isinstance(v, bool) or not isinstance(v, int) for v in answers.values()):
            raise serializers.ValidationError({"answers": [_("Option indexes are whole numbers.")]})
        return super().to_internal_value(data)
