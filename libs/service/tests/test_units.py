"""Unit tests: settings validation, development keys, token verification, problem formatting."""

from __future__ import annotations

import asyncio
import json
import stat
import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from pydantic import ValidationError

from campus_service import ServiceSettings, UnauthorizedError, dev_database_url, load_settings, per_service
from campus_service.auth import TokenVerifier, ensure_same_ministry, principal_from_claims
from campus_service.devkeys import ensure_keypair, generate_keypair, mint_token, public_jwk
from campus_service.errors import ForbiddenError, field_errors


class FundingSettings(ServiceSettings):
    service_name: str = "funding"
    port: int = per_service("funding", "port", 8104)
    database_url: str = per_service("funding", "database_url", dev_database_url("funding"))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("CAMPUS_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("key", [None, "change-me", "dev", "  "])
def test_production_without_a_real_key_stops_the_service(key):
    with pytest.raises(ValidationError, match="needs a real token verification key"):
        ServiceSettings(env="production", jwt_public_key=key)
    with pytest.raises(SystemExit, match="invalid configuration"):
        load_settings(ServiceSettings, env="production", jwt_public_key=key)


def test_production_with_a_key_a_file_or_a_jwks_url(tmp_path):
    _, public_pem = generate_keypair()
    assert ServiceSettings(env="production", jwt_public_key=public_pem).log_json is True
    (tmp_path / "public.pem").write_text(public_pem)
    assert (
        ServiceSettings(env="production", jwt_public_key_file=tmp_path / "public.pem").jwt_public_key is None
    )
    with pytest.raises(ValidationError, match="does not exist"):
        ServiceSettings(env="production", jwt_public_key_file=tmp_path / "missing.pem")
    assert ServiceSettings(env="production", jwks_url="https://gateway.example/jwks.json").jwks_url
    with pytest.raises(ValidationError, match="not a PEM"):
        ServiceSettings(jwt_public_key="ssh-rsa AAAA")


def test_development_defaults():
    settings = ServiceSettings()
    assert settings.env == "development" and settings.log_json is False
    assert settings.nats_url == "nats://127.0.0.1:4222"
    assert (settings.jwt_issuer, settings.jwt_audience) == ("campus-dev", "campus")


def test_the_service_database_variable_wins_over_the_shared_one(monkeypatch):
    monkeypatch.setenv("CAMPUS_DATABASE_URL", "postgresql://shared/db")
    assert FundingSettings().database_url == "postgresql://shared/db"
    monkeypatch.setenv("CAMPUS_FUNDING_DATABASE_URL", "postgresql://funding/db")
    monkeypatch.setenv("CAMPUS_FUNDING_PORT", "9999")
    monkeypatch.setenv("CAMPUS_ENV", "production")
    monkeypatch.setenv("CAMPUS_JWT_PUBLIC_KEY", generate_keypair()[1].replace("\n", "\\n"))
    settings = FundingSettings()
    assert (settings.database_url, settings.port, settings.env) == (
        "postgresql://funding/db",
        9999,
        "production",
    )
    assert settings.jwt_public_key.startswith("-----BEGIN PUBLIC KEY-----\n")


def test_dev_keypair_is_made_once_and_private(tmp_path):
    folder = tmp_path / "keys"
    first = ensure_keypair(folder)
    assert ensure_keypair(folder) == first
    assert stat.S_IMODE((folder / "private.pem").stat().st_mode) == 0o600


async def test_minted_tokens_verify_and_keep_personal_data_out_of_repr():
    private_pem, public_pem = generate_keypair()
    verifier = TokenVerifier(issuer="campus-dev", audience="campus", public_key_pem=public_pem)
    sub = uuid.uuid4()
    token = mint_token(
        private_pem,
        sub=sub,
        roles=["manager"],
        ministry="minarm",
        email="x@y.fr",
        given_name="Ana",
        usual_name="B",
    )
    principal = await verifier.verify(token)
    assert (principal.sub, principal.ministry, principal.roles) == (sub, "minarm", frozenset({"manager"}))
    assert principal.email == "x@y.fr" and "x@y.fr" not in repr(principal) and "Ana" not in repr(principal)
    assert principal.actor().role == "manager"


async def test_jwks_verification():
    private_pem, public_pem = generate_keypair()
    document = json.dumps({"keys": [public_jwk(public_pem, kid="k1")]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/jwks.json"
        verifier = TokenVerifier(issuer="campus-dev", audience="campus", jwks_url=url)
        sub = uuid.uuid4()
        principal = await verifier.verify(mint_token(private_pem, sub=sub, roles=["agent"], kid="k1"))
        assert principal.sub == sub and principal.ministry is None
        other_private, _ = generate_keypair()
        with pytest.raises(UnauthorizedError):
            await verifier.verify(mint_token(other_private, sub=sub, kid="k1"))
        with pytest.raises(UnauthorizedError):
            await verifier.verify(mint_token(private_pem, sub=sub, kid="unknown"))
    finally:
        await asyncio.to_thread(server.shutdown)


def test_claims_are_checked():
    base = {"sub": str(uuid.uuid4()), "roles": ["agent"], "ministry": "dinum"}
    assert principal_from_claims({**base, "roles": "agent manager"}).roles == {"agent", "manager"}
    for bad in ({"sub": "x"}, {"ministry": "Not A Code"}, {"roles": [1]}):
        with pytest.raises(UnauthorizedError):
            principal_from_claims({**base, **bad})


def test_same_ministry_rule():
    agent = principal_from_claims({"sub": str(uuid.uuid4()), "roles": ["manager"], "ministry": "dinum"})
    staff = principal_from_claims({"sub": str(uuid.uuid4()), "roles": ["campus_staff"], "ministry": "dinum"})
    ensure_same_ministry(agent, "dinum")
    ensure_same_ministry(staff, "mefsin")
    with pytest.raises(ForbiddenError):
        ensure_same_ministry(agent, "mefsin")


def test_field_errors_are_dotted_paths():
    errors = [
        {"loc": ("body", "modules", 0, "title"), "msg": "too short", "type": "string_too_short"},
        {"loc": ("query", "limit"), "msg": "too big", "type": "less_than_equal"},
        {
            "loc": ("body", 3),
            "msg": "JSON decode error",
            "type": "json_invalid",
            "ctx": {"error": "Expecting value"},
        },
    ]
    assert field_errors(errors, request=True) == [
        {"field": "modules.0.title", "reason": "too short", "in": "body"},
        {"field": "limit", "reason": "too big", "in": "query"},
        {"field": "body", "reason": "invalid JSON: Expecting value", "in": "body"},
    ]


def test_a_command_answer_is_the_json_jsonable_encoder_gives():
    import datetime
    import decimal

    from fastapi.encoders import jsonable_encoder
    from pydantic import BaseModel, Field

    from campus_service.idempotency import CommandResult

    class Line(BaseModel):
        at: datetime.datetime
        amount: decimal.Decimal
        ratio: float

    class Answer(BaseModel):
        id: uuid.UUID
        name: str = Field(alias="Name")
        lines: list[Line]
        extra: dict[str, int] | None = None

    now = datetime.datetime.now(datetime.UTC)
    model = Answer(
        id=uuid.uuid4(), Name='é "quoted"', lines=[Line(at=now, amount=decimal.Decimal("12.50"), ratio=1e-7)]
    )
    for body in (model, {"items": [model], "total": 1}, None):
        expected = json.dumps(
            jsonable_encoder(body), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )
        content = CommandResult.of(201, body).content
        assert json.loads(content) == json.loads(expected)
        # byte for byte but the float's spelling (1e-07 by json.dumps, 1e-7 by pydantic-core)
        assert content.replace("1e-7", "1e-07") == expected
    assert '"Name":"é \\"quoted\\""' in CommandResult.of(201, model).content


def test_tune_gc_freezes_what_is_loaded_and_raises_the_young_threshold():
    import gc

    from campus_service.server import tune_gc

    before = gc.get_threshold()
    try:
        tune_gc(12_345)
        assert gc.get_threshold() == (12_345, before[1], before[2])
        assert gc.get_freeze_count() > 1000  # the test process's modules, at least
        gc.unfreeze()
        gc.set_threshold(*before)
        tune_gc(0)  # 0: Python's own threshold stays
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_text_errors_name_each_field_and_let_the_rest_through():
    from campus_service.body import text_errors

    def faults(raw: bytes) -> list[tuple]:
        return [(e["loc"], e["msg"].split(" ")[-1]) for e in text_errors(raw)]

    fine = rb'{"t": "caf\u00e9 \ud83d\ude00", "d": "a\tb\nc\r\n", "p": "C:\\bin", "e": "", "n": 1}'
    assert faults(fine) == []  # escapes, a surrogate pair, tab and line breaks, a backslash, empty
    assert faults(rb'{"a": {"b": ["ok", "x\u0000"]}, "c": "\udc00", "d": "\ud800x"}') == [
        (("body", "a", "b", 1), "character"),
        (("body", "c"), "surrogate"),
        (("body", "d"), "surrogate"),
    ]
    controls = (
        rb'{"bell": "\u0007", "ansi": "\u001b[31m", "bs": "a\bb", ' + b'"del": "\x7f", "c1": "\xc2\x85"}'
    )
    assert [loc[-1] for loc, _ in faults(controls)] == ["bell", "ansi", "bs", "del", "c1"]
    assert faults(rb'{"t": "   ", "u": " \t\n ", "v": ["\u0020"]}') == [
        (("body", "t"), "blank"),
        (("body", "u"), "blank"),
        (("body", "v", 0), "blank"),
    ]
    unicode_blanks = '{"a": "\u00a0\u3000", "b": "\u2003", "c": "caf\u00e9"}'
    assert faults(unicode_blanks.encode()) == [(("body", "a"), "blank"), (("body", "b"), "blank")]
    assert faults(rb'{"a": "\u00a0", "b": "\u2028"}') == [(("body", "a"), "blank"), (("body", "b"), "blank")]
    # JSON in UTF-16 (which json.loads and FastAPI read): walked as well.
    assert faults('{"t": "   "}'.encode("utf-16")) == [(("body", "t"), "blank")]
    assert faults(rb'{"k\u0000": 1}') == [(("body",), "character")]  # a key: named by where it is
    assert faults(b'{"title": "\\u0000", oops}') == []  # not JSON: its own validation answers
