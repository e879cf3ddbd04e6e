"""The signature scheme, and the receiver's snippet of docs/webhooks.md run as written."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from campus_webhooks.signature import MIN_SECRET_LENGTH, generate_secret, parse, sign, signature, verify

DOC = Path(__file__).resolve().parents[4] / "docs" / "webhooks.md"
SECRET = "whsec_" + "k" * 40
BODY = b'{"specversion":"1.0","id":"0190a7e6-0000-7000-8000-000000000001","data":{"seats":3}}'


def doc_verifier():
    """The `verify_campus_signature` of the guide's Python block, executed as a receiver would copy it."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    block = next(b for b in blocks if "def verify_campus_signature" in b)
    namespace: dict = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    return namespace["verify_campus_signature"]


@pytest.fixture(params=["service", "docs"])
def check(request):
    if request.param == "service":
        return lambda body, header, secret, **kw: verify(body, header, secret, **kw)
    guide = doc_verifier()
    return lambda body, header, secret, **kw: guide(body, header, secret, **kw)


def test_the_header_is_t_and_v1_over_timestamp_dot_body():
    header = sign(BODY, [SECRET], timestamp=1_700_000_000)
    t, candidates = parse(header)
    assert header.startswith("t=1700000000,v1=")
    assert t == 1_700_000_000 and candidates == [signature(SECRET, t, BODY)]
    import hashlib
    import hmac

    assert candidates[0] == hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()


def test_a_genuine_message_verifies(check):
    assert check(BODY, sign(BODY, [SECRET]), SECRET) is True


def test_a_tampered_body_or_signature_or_timestamp_is_rejected(check):
    header = sign(BODY, [SECRET])
    assert check(BODY.replace(b'"seats":3', b'"seats":4'), header, SECRET) is False
    t, (v1,) = parse(header)
    flipped = v1[:-1] + ("0" if v1[-1] != "0" else "1")
    assert check(BODY, f"t={t},v1={flipped}", SECRET) is False
    assert check(BODY, f"t={t + 1},v1={v1}", SECRET) is False  # the timestamp is signed too
    assert check(BODY, header, "whsec_" + "x" * 40) is False
    for malformed in ("", "v1=abc", f"t={t}", "t=now,v1=00", "garbage"):
        assert check(BODY, malformed, SECRET) is False


def test_a_stale_or_future_message_is_rejected(check):
    old = sign(BODY, [SECRET], timestamp=int(time.time()) - 301)
    assert check(BODY, old, SECRET) is False
    assert check(BODY, old, SECRET, tolerance=600) is True
    assert check(BODY, sign(BODY, [SECRET], timestamp=int(time.time()) + 301), SECRET) is False


def test_during_a_rotation_either_secret_verifies(check):
    new = "whsec_" + "n" * 40
    header = sign(BODY, [new, SECRET])
    assert header.count("v1=") == 2
    assert check(BODY, header, new) and check(BODY, header, SECRET)
    assert not check(BODY, header, "whsec_" + "z" * 40)


def test_generated_secrets_are_long_and_distinct():
    secrets_ = {generate_secret() for _ in range(50)}
    assert len(secrets_) == 50
    assert all(len(s) >= MIN_SECRET_LENGTH and s.startswith("whsec_") for s in secrets_)
