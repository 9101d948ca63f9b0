"""The pure layers import no Flask and no SQLAlchemy (checked in a fresh interpreter)."""

import subprocess
import sys


def test_domain_matching_geodata_import_no_flask_or_sqlalchemy():
    code = (
        "import sys, exchange.domain, exchange.matching, geodata, geodata.spatial, geodata.boundaries\n"
        "import exchange.matching.network, exchange.matching.allocate, exchange.services.import_formats\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'flask_sqlalchemy', 'sqlalchemy'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"pure layers pulled in: {out.stdout}"


def test_the_check_itself_can_see_flask():
    code = "import sys, exchange.app\nprint('flask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
