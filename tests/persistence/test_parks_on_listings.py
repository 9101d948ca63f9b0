"""Every stored listing knows its park (named park, else its city's exchange zone)."""

from sqlalchemy import select

from exchange.persistence import db
from exchange.persistence.models import Listing
from exchange.services.listings import import_rows


def test_park_is_assigned_on_import_and_update(app, make_row):
    import_rows([make_row(ref="Q", lat=36.80, lon=118.25), make_row(ref="J", lat=36.65, lon=117.0)])
    parks = dict(db.session.execute(select(Listing.ref, Listing.park)).all())
    assert parks == {"Q": "qilu-chemical", "J": "city-370100"}
    import_rows([make_row(ref="Q", lat=36.07, lon=120.38)])  # moved to Qingdao
    assert db.session.scalar(select(Listing.park).where(Listing.ref == "Q")) == "city-370200"
