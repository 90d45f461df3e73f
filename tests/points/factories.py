import factory

from points.models import Level, PointsTask, SigninReward


class PointsTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PointsTask

    code = factory.Sequence(lambda n: f"task_{n}")
    title = factory.Sequence(lambda n: f"任务{n}")
    points = 10
    growth = 0
    frequency = PointsTask.Frequency.DAILY
    client_completable = True


class SigninRewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SigninReward
        django_get_or_create = ("day",)

    day = 1
    points = 5


class LevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Level
        django_get_or_create = ("threshold",)

    name = factory.Sequence(lambda n: f"等级{n}")
    threshold = 0
