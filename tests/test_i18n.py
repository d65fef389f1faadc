from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "locale" / "en" / "LC_MESSAGES"


def po_entries() -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs of the English catalog, read without extra dependencies; an entry
    with a context has the msgid `context\x04msgid`, as in the compiled catalog."""
    entries, msgid, msgstr, current, context = [], None, None, None, ""
    for line in [*(CATALOG / "django.po").read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("msgctxt "):
            if msgid is not None:
                entries.append((msgid, msgstr))
                msgid = None
            context, current = line[9:-1] + "\x04", None
        elif line.startswith("msgid "):
            if msgid is not None:
                entries.append((msgid, msgstr))
            msgid, msgstr, current = context + line[7:-1], "", "id"
            context = ""
        elif line.startswith("msgstr "):
            msgstr, current = line[8:-1], "str"
        elif line.startswith('"') and current:
            if current == "id":
                msgid += line[1:-1]
            else:
                msgstr += line[1:-1]
    if msgid is not None:
        entries.append((msgid, msgstr))
    return [(i, s) for i, s in entries if i]


def test_every_interface_string_has_an_english_translation():
    untranslated = [msgid for msgid, msgstr in po_entries() if not msgstr]
    assert not untranslated


def test_compiled_catalog_matches_its_source():
    """The committed .mo must hold every translation of the .po (run `make messages`)."""
    import gettext

    with (CATALOG / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    stale = [
        msgid
        for msgid, msgstr in po_entries()
        if catalog.gettext(msgid.replace('\\"', '"')) != msgstr.replace('\\"', '"')
    ]
    assert not stale


@pytest.mark.usefixtures("samples")
def test_english_interface_keeps_document_text_chinese(client):
    client.cookies["django_language"] = "en"
    html = client.get("/search/", {"q": "孵化"}).content.decode()
    assert "Reply Archive" in html
    assert "Clear all filters" in html
    assert "CPPCC proposal" in html  # kind facet label
    # The reply itself is never translated.
    assert "重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函" in html
