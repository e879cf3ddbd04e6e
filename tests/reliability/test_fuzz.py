"""API fuzzing with schemathesis against every service's live OpenAPI document, with a token holding
every role: no 5xx, and every response matches its documented schema and media type.

Short form: 25 examples per route (15 valid, 10 invalid); soak: 200 (120 valid, 80 invalid)."""

from __future__ import annotations

import uuid
from collections import Counter

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from .harness import CONTEXTS, Tokens, report, running_stack

pytestmark = pytest.mark.e2e
ROLES = ("agent", "manager", "campus_staff", "funding_committee", "admin")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("fuzz")) as running:
        yield running


def fuzz_operation(
    operation, base_url: str, headers: dict[str, str], mode, examples: int, found: list
) -> Counter:
    statuses: Counter[int] = Counter()

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # noqa: BLE001 - collected: every failing route is reported at once
            found.append(f"{operation.label} [{mode.value}]: {str(exc)[:800]}")

    try:
        run()
    except Unsatisfiable:
        if mode is not GenerationMode.NEGATIVE:
            raise  # a route with no invalid input to make (no parameter, no body): nothing to negate
    return statuses


def fuzz_service(stack, service: str, valid: int, invalid: int) -> None:
    url = stack.services[service].url
    token = Tokens(stack).auth(*ROLES, sub=uuid.uuid4())
    doc = httpx.get(f"{url}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(doc)
    found: list[str] = []
    statuses: Counter[int] = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode, examples in ((GenerationMode.POSITIVE, valid), (GenerationMode.NEGATIVE, invalid)):
            statuses += fuzz_operation(operation, url, token, mode, examples, found)
    report(
        f"fuzz {service}",
        {
            "operations": operations,
            "requests": sum(statuses.values()),
            "statuses": dict(sorted(statuses.items())),
        },
    )
    assert operations > 3
    assert not found, f"{len(found)} failures:\n" + "\n".join(sorted(set(found))[:30])


@pytest.mark.parametrize("service", CONTEXTS)
def test_fuzzing_finds_no_server_error_and_no_schema_violation(stack, service):
    fuzz_service(stack, service, valid=15, invalid=10)


@pytest.mark.soak
@pytest.mark.timeout(1200)  # the full forms last minutes: not the suite's 300 s per test
@pytest.mark.parametrize("service", CONTEXTS)
def test_fuzzing_soak(stack, service):
    fuzz_service(stack, service, valid=120, invalid=80)
