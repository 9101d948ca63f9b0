"""CSV exports cannot carry spreadsheet formulas."""

from exchange.services.exports import _csv


def test_text_that_a_spreadsheet_would_run_is_neutralised():
    out = _csv(["ref", "quantity"], [{"ref": "=HYPERLINK(\"http://x\")", "quantity": -5},
                                    {"ref": "@SUM(A1)", "quantity": 3.5}, {"ref": "+1", "quantity": None}])
    lines = out.splitlines()
    assert lines[1].startswith('"\'=HYPERLINK') and lines[1].endswith(",-5")
    assert lines[2].startswith("'@SUM") and lines[3] == "'+1,"
