"""Property-based fuzzing of the JSON API with schemathesis, from ``/api/v1/openapi.json``, in-process.

Every operation of the document gets requests generated from its schema:
valid ones (positive) and, where the document allows any, invalid ones
(negative), each sent as one of four callers (an admin, a member who owns
listings, a park manager, an anonymous visitor) against a small world with
listings, a match run and links. Every response must

* not be a server error (5xx);
* have a status the document declares (the one error format is declared for
  every operation as ``default``), a declared content type, and a body that
  matches the declared schema;
* for an invalid request: be refused (4xx).

At least 2,000 requests are sent in total (the test counts them).
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest

pytestmark = pytest.mark.slow

schemathesis = pytest.importorskip("schemathesis")

#: examples per operation and mode; 21 operations x (positive + most negative) comfortably pass 2,000
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "60"))
MIN_REQUESTS = 2000


def _world(make_user: Any) -> dict[str, dict[str, str]]:
    from exchange.services.listings import create_listing
    from exchange.services.matching import run_match

    admin, admin_token = make_user("admin@fuzz.example", org="Exchange Ops", role="admin")
    seller, seller_token = make_user("seller@fuzz.example", org="Fuzz Power")
    buyer, _ = make_user("buyer@fuzz.example", org="Fuzz Cement")
    _, manager_token = make_user("manager@fuzz.example", org="Qilu park", role="park_manager", park="qilu-chemical")
    base = dict(material="fly_ash", unit="t/yr")
    for i in range(3):
        create_listing({**base, "ref": f"ASH-{i}", "role": "source", "grade": "I", "lat": 36.80 + 0.01 * i,
                        "lon": 118.25, "quantity": 1000, "visibility": ("public", "anonymous", "private")[i]}, seller)
        create_listing({**base, "ref": f"NEED-{i}", "role": "sink", "grade": "II", "lat": 36.79, "lon": 118.24 + 0.01 * i,
                        "quantity": 700}, buyer)
    run_match()
    return {"admin": {"Authorization": f"Bearer {admin_token}"},
            "member": {"Authorization": f"Bearer {seller_token}"},
            "manager": {"Authorization": f"Bearer {manager_token}"},
            "anonymous": {}}


def test_the_api_answers_every_generated_request_as_documented(app, make_user):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                                   response_schema_conformance, status_code_conformance)

    app.config["MATCH_RUN_WAIT"] = 5.0
    callers = _world(make_user)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for op in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            mode_checks = checks + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])

            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=op.as_strategy(generation_mode=mode), who=st.sampled_from(sorted(callers)))
            def one(case: Any, who: str) -> None:
                response = case.call(headers=callers[who])
                sent[op.label] += 1
                statuses[response.status_code] += 1
                case.validate_response(response, checks=mode_checks, headers=callers[who])

            try:
                one()
            except Unsatisfiable:
                continue  # nothing in this operation can be made invalid (no parameters, any string allowed)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - schemathesis raises exception groups: collect, report
                failures.append(f"{op.label} ({mode.value}): {str(exc)[:2000]}")
    total = sum(sent.values())
    print(f"\nschemathesis: {total} requests over {len(sent)} operations; statuses {dict(sorted(statuses.items()))}")
    assert failures == [], "\n\n".join(failures)
    assert total >= MIN_REQUESTS, f"only {total} requests were generated"
    assert not any(s >= 500 for s in statuses)
