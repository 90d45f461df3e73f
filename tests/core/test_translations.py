import ast
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _unquote(lines: list[str]) -> str:
    return "".join(ast.literal_eval(line) for line in lines if line.strip().startswith('"'))


def po_entries(text: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) for each entry, multi-line strings joined."""
    entries = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#")]
        starts = [i for i, line in enumerate(lines) if line.startswith(("msgid ", "msgstr "))]
        if len(starts) != 2:
            continue
        msgid_at, msgstr_at = starts
        msgid = _unquote([lines[msgid_at][6:], *lines[msgid_at + 1 : msgstr_at]])
        msgstr = _unquote([lines[msgstr_at][7:], *lines[msgstr_at + 1 :]])
        if msgid:
            entries.append((msgid, msgstr))
    return entries


def test_every_message_has_a_chinese_translation():
    text = PO.read_text(encoding="utf-8")
    entries = po_entries(text)

    assert len(entries) > 30
    assert [msgid for msgid, msgstr in entries if not msgstr] == []
    assert "#, fuzzy" not in text
    assert 'msgstr[0] ""\n' not in text  # plural forms too


def test_messages_are_chinese_by_default_and_english_on_request():
    from accounts.services import wechat_error_to_application_error
    from core.wechat import WeChatError

    with translation.override("zh-hans"):
        chinese = str(wechat_error_to_application_error(WeChatError(40029, "invalid code")).detail)
    with translation.override("en"):
        english = str(wechat_error_to_application_error(WeChatError(40029, "invalid code")).detail)

    assert chinese == "微信 code 无效或已过期。"
    assert english == "The WeChat code is invalid or has expired."
