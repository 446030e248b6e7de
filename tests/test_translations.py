"""English is a full second language: every message has a translation and the compiled catalog is current."""

from pathlib import Path

import polib
from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "src" / "kaifang" / "locale" / "en" / "LC_MESSAGES"


def test_every_message_is_translated():
    po = polib.pofile(str(LOCALE / "django.po"))
    missing = [
        e.msgid
        for e in po
        if not e.obsolete and ("fuzzy" in e.flags or not (e.msgstr or any(e.msgstr_plural.values())))
    ]
    assert missing == []


def test_compiled_catalog_matches_the_source():
    po = {
        e.msgid: e.msgstr
        for e in polib.pofile(str(LOCALE / "django.po"))
        if not e.obsolete and not e.msgid_plural
    }
    mo = {e.msgid: e.msgstr for e in polib.mofile(str(LOCALE / "django.mo")) if not e.msgid_plural}
    assert {k: v for k, v in po.items() if k} == {k: v for k, v in mo.items() if k}


def test_english_is_served(client, db):
    with translation.override("en"):
        assert str(translation.gettext("数据资源")) != "数据资源"
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Datasets" in body or "Data resources" in body
