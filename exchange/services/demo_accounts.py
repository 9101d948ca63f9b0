"""Demo logins for the Shandong demo (development only: their password is published).

``flask --app wsgi seed-demo`` creates them when they do not exist yet and
prints them; it creates none with ``EXCHANGE_ENV=production``. Every account
has the password :data:`DEMO_PASSWORD`:

=================================  ============  ==================================================
e-mail                             role          what it sees and does
=================================  ============  ==================================================
``admin@demo.example``             admin         everything; runs the matcher for any park or all
``jinan-qibuqu@demo.example``      park_manager  Jinan Qibuqu park: review queue, reports, matcher
``qilu-chemical@demo.example``     park_manager  Qilu Chemical Industry Park
``chiping-xinyuan@demo.example``   park_manager  Chiping Xinyuan park
``huangtai@demo.example``          member        Huaneng Jinan Huangtai power plant (heat, ash, gypsum sources)
``cement@demo.example``            member        Jinan cement plant (demo) (ash and gypsum sinks)
=================================  ============  ==================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from exchange.persistence import db
from exchange.persistence.models import User

#: the published development password of every demo login
DEMO_PASSWORD = "demo-password"

#: (e-mail, organisation, role, park, what it is)
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str | None, str], ...] = (
    ("admin@demo.example", "Exchange operations (demo)", "admin", None, "administrator"),
    ("jinan-qibuqu@demo.example", "Jinan Qibuqu park authority (demo)", "park_manager", "jinan-qibuqu",
     "park manager, jinan-qibuqu"),
    ("qilu-chemical@demo.example", "Qilu Chemical park authority (demo)", "park_manager", "qilu-chemical",
     "park manager, qilu-chemical"),
    ("chiping-xinyuan@demo.example", "Chiping Xinyuan park authority (demo)", "park_manager", "chiping-xinyuan",
     "park manager, chiping-xinyuan"),
    ("huangtai@demo.example", "Huaneng Jinan Huangtai Power Generation Co Ltd", "member", None,
     "member: Huaneng Jinan Huangtai power plant (sources)"),
    ("cement@demo.example", "Jinan cement plant (demo)", "member", None, "member: Jinan cement plant (sinks)"),
)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    what: str
    created: bool


def seed_demo_accounts() -> list[DemoAccount]:
    """Create the demo logins that do not exist yet (existing ones are left as they are)."""
    from .accounts import create_user

    out = []
    for email, org, role, park, what in DEMO_ACCOUNTS:
        exists = db.session.scalar(select(User.id).where(User.email == email)) is not None
        if not exists:
            create_user(email, DEMO_PASSWORD, org, role, park)
        out.append(DemoAccount(email, role, what, not exists))
    return out
