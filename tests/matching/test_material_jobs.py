"""One job per material: the parallel path gives exactly what the serial one gives."""

from __future__ import annotations

import importlib

import pytest

from bench.synthetic import province
from exchange.domain import Defaults
from exchange.matching import match

solve_mod = importlib.import_module("exchange.matching.solve")


def _key(link):
    return (link.source.ref, link.sink.ref, link.material, round(link.quantity, 6), link.requires, link.explanation,
            link.details_json)


@pytest.fixture(scope="module")
def listings():
    return province(600)


def test_jobs_in_worker_processes_give_the_serial_result(listings, monkeypatch):
    serial = match(listings, Defaults(), cap=10)
    assert serial.stats["processes"] == 1
    monkeypatch.setattr(solve_mod, "PARALLEL_FROM_LISTINGS", 1)
    seen: list[list] = []
    parallel = match(listings, Defaults(), cap=10, on_links=seen.append)
    assert parallel.stats["processes"] == 2
    assert [_key(l) for l in parallel.links] == [_key(l) for l in serial.links]
    assert [(u.listing.ref, u.code, u.reason) for u in parallel.unmatched] == \
        [(u.listing.ref, u.code, u.reason) for u in serial.unmatched]
    assert parallel.summary == serial.summary
    # the links came back with the caller's own listing objects, not copies
    mine = {id(l) for l in listings}
    assert all(id(l.source) in mine and id(l.sink) in mine for l in parallel.links)
    # on_links saw every material's links once, each batch one material, best first
    assert sorted(len(batch) for batch in seen) == sorted(
        sum(1 for l in parallel.links if l.material == m) for m in {l.material for l in parallel.links})
    for batch in seen:
        assert len({l.material for l in batch}) == 1
        assert [l.net_benefit_rmb_per_yr for l in batch] == sorted((l.net_benefit_rmb_per_yr for l in batch),
                                                                   reverse=True)
    assert sum(len(b) for b in seen) == len(parallel.links) > 0


def test_a_failing_job_fails_the_match(listings, monkeypatch):
    monkeypatch.setattr(solve_mod, "PARALLEL_FROM_LISTINGS", 1)

    def broken(*args, **kwargs):
        raise RuntimeError("solver broke")

    monkeypatch.setattr(solve_mod, "_solve_material", broken)
    with pytest.raises(RuntimeError, match="solver broke"):
        match(listings, Defaults(), cap=10)


def test_a_failing_callback_stops_the_match(listings):
    def refuse(links):
        raise ValueError("database gone")

    with pytest.raises(ValueError, match="database gone"):
        match(listings, Defaults(), cap=10, on_links=refuse)
