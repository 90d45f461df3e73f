from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from campaigns.quiz.api import errors as e
from campaigns.quiz.api import serializers as s
from campaigns.quiz.selectors import quiz_attempt_of, quiz_config, quiz_draw, quiz_explanations
from campaigns.quiz.services import quiz_answer
from core.clock import local_today
from points.selectors import wallet_balance


def _result(attempt, user) -> dict:
    return {
        "correct": attempt.correct,
        "awarded": attempt.points,
        "points": wallet_balance(user=user),
        "explanations": quiz_explanations(attempt=attempt),
    }


class QuizTodayApi(APIView):
    throttle_scope = "write"
    error_codes = {"post": [e.ALREADY_ANSWERED, e.QUIZ_CLOSED]}

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method == "POST":
            return throttles
        return [t for t in throttles if not isinstance(t, ScopedRateThrottle)]  # reading is not a write

    @extend_schema(
        operation_id="quiz_today",
        summary="Today's quiz",
        description="The caller's questions of today (每日答题; the site's local day): each with its "
        "`options`, never the right one. The same user sees the same questions all day. `answered` "
        "says whether today's answers are in; once they are, `result` repeats what the answer gave "
        "(the right options and explanations included). No quiz today (switched off, empty bank): "
        "`questions` is empty.",
        responses={200: s.QuizTodayOutput},
    )
    def get(self, request):
        today = local_today()
        config = quiz_config()
        questions = quiz_draw(user=request.user, day=today, config=config) if config.is_active else []
        attempt = quiz_attempt_of(user=request.user, day=today)
        body = {
            "date": today,
            "questions": [{"id": q.id, "text": q.text, "options": q.options} for q in questions],
            "answered": attempt is not None,
            "result": _result(attempt, request.user) if attempt is not None else None,
        }
        return Response(s.QuizTodayOutput(body).data)

    @extend_schema(
        operation_id="quiz_answer",
        summary="Answer today's quiz",
        description="Submits the caller's answers to today's questions, once a day: `answers` maps each "
        "question id to the chosen option's index (from 0), one for every question of today. Pays "
        "the operator's points per right answer and answers how many were `correct`, the points "
        "`awarded`, the new balance and, per question, the right option and its explanation. An id not "
        "in today's questions, a missing question or an index out of range is 400 `invalid`; a second "
        "submission the same day 409 `already_answered`.",
        request=s.QuizAnswerInput,
        responses={200: s.QuizResultOutput},
    )
    def post(self, request):
        data = s.QuizAnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = quiz_answer(user=request.user, answers=data.validated_data["answers"])
        return Response(s.QuizResultOutput(_result(attempt, request.user)).data)
