import factory

from core.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"wx_test_{n}")
    openid = factory.Sequence(lambda n: f"test-openid-{n}")
    nickname = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("unused-password-1")


class StaffFactory(UserFactory):
    openid = None
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
    password = factory.django.Password("staff-password-2026")
