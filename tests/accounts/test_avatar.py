import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

pytestmark = pytest.mark.django_db


def image_file(size=(64, 64), fmt="PNG", mode="RGB", name="a.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new(mode, size, color=1 if mode == "1" else (200, 30, 30)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def test_upload_real_image_stores_png_and_returns_url(user, user_client):
    response = user_client.post("/api/me/avatar", {"file": image_file(fmt="JPEG", name="me.jpg")}, format="multipart")

    assert response.status_code == 200, response.json()
    assert response.json()["avatar_url"].startswith("http://testserver/media/avatars/")
    user.refresh_from_db()
    with Image.open(user.avatar.path) as stored:
        assert stored.format == "PNG"
        assert max(stored.size) <= 512


def test_upload_text_pretending_to_be_image_is_refused(user, user_client):
    fake = SimpleUploadedFile("evil.png", b"<?php echo 1; ?>", content_type="image/png")

    response = user_client.post("/api/me/avatar", {"file": fake}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_image"
    user.refresh_from_db()
    assert not user.avatar


def test_upload_too_many_pixels_is_refused(user, user_client):
    # 6000x6000 one-bit PNG: a tiny file that would decode to 36 million pixels.
    bomb = image_file(size=(6000, 6000), mode="1")
    assert bomb.size < 200_000

    response = user_client.post("/api/me/avatar", {"file": bomb}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_image"


def test_upload_too_large_file_is_refused(user, user_client, settings):
    settings.AVATAR_MAX_BYTES = 10_000
    buffer = io.BytesIO()
    Image.frombytes("RGB", (100, 100), os.urandom(30_000)).save(buffer, format="PNG")
    noisy = SimpleUploadedFile("noise.png", buffer.getvalue(), content_type="image/png")

    response = user_client.post("/api/me/avatar", {"file": noisy}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_image"


def test_upload_without_file_is_400(user_client):
    response = user_client.post("/api/me/avatar", {}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_board_shows_each_users_face_as_their_profile_does():
    """user_faces reads plain values for the boards: an uploaded avatar wins over a WeChat URL."""
    from core.faces import user_faces
    from tests.factories import UserFactory

    uploaded = UserFactory(nickname="小王", avatar="avatars/x.png", avatar_url="https://wx.example/a.png")
    wechat = UserFactory(nickname="小李", avatar_url="https://wx.example/b.png")
    bare = UserFactory(nickname="")

    faces = user_faces(user_ids=[uploaded.pk, wechat.pk, bare.pk, 10**9])

    assert faces == {u.pk: (u.nickname, u.display_avatar_url) for u in (uploaded, wechat, bare)}
    assert faces[uploaded.pk][1].endswith("avatars/x.png") and faces[wechat.pk][1] == "https://wx.example/b.png"


def test_a_changed_nickname_or_avatar_is_not_served_from_the_faces_cache(django_capture_on_commit_callbacks):
    from accounts.services import user_set_avatar, user_update_profile
    from core.faces import user_faces
    from tests.factories import UserFactory

    user = UserFactory(nickname="旧名")
    assert user_faces(user_ids=[user.pk]) == {user.pk: ("旧名", "")}  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        user_update_profile(user=user, nickname="新名")
    assert user_faces(user_ids=[user.pk]) == {user.pk: ("新名", "")}
    with django_capture_on_commit_callbacks(execute=True):
        user_set_avatar(user=user, upload=image_file())
    assert user_faces(user_ids=[user.pk])[user.pk][1].endswith(".png")
