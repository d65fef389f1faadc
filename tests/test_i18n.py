from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "locale" / "en" / "LC_MESSAGES"


def po_entries() -> list[tuple[str, str, str | None]]:
    """(msgid, msgstr, msgid_plural) of the English catalog, read without extra dependencies.
    An entry with a context has the msgid `context\\x04msgid`, as in the compiled catalog; a
    plural entry gives its first form as msgstr, or "" when any form is missing."""
    entries: list[tuple[str, str, str | None]] = []
    entry: dict | None = None
    field: str | None = None
    context = ""

    def finish() -> None:
        if entry and entry["id"]:
            forms = entry["forms"]
            text = entry["str"] if not forms else (forms[0] if all(forms) else "")
            entries.append((entry["id"], text, entry["plural"]))

    for line in [*(CATALOG / "django.po").read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("msgctxt "):
            finish()
            entry, field = None, None
            context = line[9:-1] + "\x04"
        elif line.startswith("msgid "):
            finish()
            entry = {"id": context + line[7:-1], "str": "", "plural": None, "forms": []}
            field, context = "id", ""
        elif line.startswith("msgid_plural ") and entry:
            entry["plural"], field = line[14:-1], "plural"
        elif line.startswith("msgstr[") and entry:
            entry["forms"].append(line.split(" ", 1)[1][1:-1])
            field = "form"
        elif line.startswith("msgstr ") and entry:
            entry["str"], field = line[8:-1], "str"
        elif line.startswith('"') and entry and field:
            piece = line[1:-1]
            if field == "form":
                entry["forms"][-1] += piece
            else:
                entry[field] = (entry[field] or "") + piece
    finish()
    return entries


def test_every_interface_string_has_an_english_translation():
    untranslated = [msgid for msgid, msgstr, _plural in po_entries() if not msgstr]
    assert not untranslated


def test_compiled_catalog_matches_its_source():
    """The committed .mo must hold every translation of the .po (run `make messages`)."""
    import gettext

    with (CATALOG / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)

    def compiled(msgid: str, plural: str | None) -> str:
        return catalog.ngettext(msgid, plural, 1) if plural else catalog.gettext(msgid)

    stale = [
        msgid
        for msgid, msgstr, plural in po_entries()
        if compiled(msgid.replace('\\"', '"'), plural) != msgstr.replace('\\"', '"')
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
