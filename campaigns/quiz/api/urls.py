from django.urls import path

from campaigns.quiz.api import views

urlpatterns = [
    path("quiz/today", views.QuizTodayApi.as_view(), name="quiz-today"),
]
