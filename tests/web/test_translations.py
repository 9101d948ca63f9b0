"""The Chinese catalogue: complete, placeholders intact, and the committed .mo built from the .po."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "exchange" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%")


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    with PO.open("rb") as fh:
        return read_po(fh, locale="zh_CN")


def ids_in_sources() -> set[str]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None)
    out = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map,
                                                                         keywords=keywords):
        out.add(message[0] if isinstance(message, tuple) else message)
    return out


def test_every_string_of_the_ui_is_translated(catalog):
    wanted = ids_in_sources()
    assert len(wanted) > 200
    missing = sorted(m for m in wanted if m not in catalog or not catalog[m].string or catalog[m].fuzzy
                     or not all(catalog[m].string if isinstance(catalog[m].string, tuple) else [catalog[m].string]))
    assert missing == [], "untranslated (run the extract/update steps in docs/ui.md): " + repr(missing[:10])


def test_no_obsolete_strings_linger(catalog):
    wanted = ids_in_sources()
    stale = sorted(m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id
                   and (m.id if isinstance(m.id, str) else m.id[0]) not in wanted)
    assert stale == []


def test_placeholders_survive_translation(catalog):
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for s in strings:
            assert sorted(PLACEHOLDER.findall(s)) == sorted(PLACEHOLDER.findall(ids[-1])), m.id


def test_committed_mo_is_compiled_from_the_po(catalog):
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    assert MO.read_bytes() == buf.getvalue(), "stale .mo: run `pybabel compile -d exchange/translations`"


def test_the_catalogue_is_found_for_zh_cn(app):
    from flask_babel import force_locale, gettext

    with app.test_request_context():
        with force_locale("zh_CN"):
            assert gettext("Parks") == "园区"
        with force_locale("en"):
            assert gettext("Parks") == "Parks"
