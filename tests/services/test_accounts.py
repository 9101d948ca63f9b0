"""Accounts: users and organisations, passwords, API tokens, browser sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from exchange.domain.errors import Conflict, ValidationError
from exchange.persistence import db
from exchange.persistence.models import ApiToken, Organisation, UserSession, utcnow
from exchange.services import accounts


def test_create_user_makes_the_organisation_once_and_hashes_everything(make_user):
    user, token = make_user("Ana@Example.cn", org="Ash Plant", password="a long enough password")
    make_user("bo@example.cn", org="Ash Plant")
    assert user.email == "ana@example.cn"
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 1
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and len(stored) == 2
    assert accounts.user_for_api_token(token).id == user.id
    assert accounts.user_for_api_token(token + "x") is None
    assert accounts.authenticate("ANA@example.cn", "a long enough password").id == user.id
    assert accounts.authenticate("ana@example.cn", "wrong") is None
    with pytest.raises(Conflict):
        make_user("ana@example.cn", org="Other")


def test_bad_accounts_are_refused_field_by_field(make_user):
    with pytest.raises(ValidationError) as err:
        make_user("nope", org="", role="boss", password="short")
    assert set(err.value.details) == {"email", "org", "role", "password"}
    with pytest.raises(ValidationError) as err:
        make_user("pm@example.cn", role="park_manager")
    assert set(err.value.details) == {"park"}


@pytest.mark.parametrize("name", ["qilu-chemical", "Qilu Chemical Industry Park (Linzi)", "齐鲁化学工业区（临淄）"])
def test_a_park_is_named_by_key_or_by_name(name):
    assert accounts.resolve_park(name) == "qilu-chemical"


def test_an_expired_session_loads_nobody(app, make_user):
    user, _ = make_user("ana@example.cn")
    token = accounts._start_session(user)
    db.session.commit()
    assert accounts.load_session_user(token).id == user.id
    row = db.session.scalars(select(UserSession)).one()
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert accounts.load_session_user(token) is None
    user.active = False
    db.session.commit()
    assert accounts.authenticate("ana@example.cn", "anything at all") is None
