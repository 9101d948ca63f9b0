"""Docs that state figures from the code stay true to the code."""

from pathlib import Path

from exchange.domain.factors import FACTORS
from exchange.domain.listing import FIELDS

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_matching_doc_lists_every_factor_with_its_value():
    text = (DOCS / "matching.md").read_text(encoding="utf-8")
    for f in FACTORS:
        assert f"| `{f.key}` | {f.value:g} |" in text, f"docs/matching.md is missing or misstates {f.key}"


def test_import_doc_lists_every_field():
    text = (DOCS / "import-format.md").read_text(encoding="utf-8")
    for name in FIELDS:
        assert f"`{name}`" in text, f"docs/import-format.md does not document {name}"
