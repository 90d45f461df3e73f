import re
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_chinese_translation():
    text = PO.read_text(encoding="utf-8")
    untranslated = re.findall(r'msgid "((?:[^"\\]|\\.)+)"\nmsgstr ""(?!\n")', text)

    assert untranslated == []
    assert "#, fuzzy" not in text


def test_messages_are_chinese_by_default_and_english_on_request():
    from core.services import wechat_error_to_application_error
    from core.wechat import WeChatError

    with translation.override("zh-hans"):
        chinese = str(wechat_error_to_application_error(WeChatError(40029, "invalid code")).detail)
    with translation.override("en"):
        english = str(wechat_error_to_application_error(WeChatError(40029, "invalid code")).detail)

    assert chinese == "微信 code 无效或已过期。"
    assert english == "The WeChat code is invalid or has expired."
