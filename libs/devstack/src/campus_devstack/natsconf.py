"""NATS server configuration: one account for the Campus, one account per ministry.

* Account ``CAMPUS`` holds the ``CAMPUS_*`` streams, the operator user and one user per service
  (``svc-<name>``), each allowed to publish its own subjects only and to use the JetStream API it
  needs (table ``SERVICES``). It exports consumer creation on the filter-bearing subjects
  ``campus.*.public.>`` (to every ministry account) and ``campus.*.<code>.>`` (to that ministry's
  account only), and the delivery subjects ``deliver.<code>.>`` (to that ministry only).
* Account ``MINISTRY_<CODE>`` per ministry, JetStream-enabled, holds streams named like the Campus
  streams that *source* them across accounts, filtered on the public scope and the ministry's own:
  the account never holds anything else, replays from its first message, and no other ministry's
  consumer exists in it. Users: ``ministry-<code>`` (read-only: create, list, inspect and delete its
  own consumers on those filters, pull, ack; nothing else) and ``campus-admin-<code>`` (held by the
  Campus team: creates and updates the sourced streams, ``provision_ministry``).

The same renderer writes the development config (``write_server_config``: passwords derived by
HMAC from ``.campus/nats.secret``, so `campus nats-user` can print them without storing each one)
and the deployment config (``python -m campus_devstack.natsconf deploy``: passwords as variables
defined in a secret file). See docs/nats-security.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import (
    DiscardPolicy,
    ExternalStream,
    RetentionPolicy,
    StorageType,
    StreamConfig,
    StreamSource,
)
from nats.js.errors import BadRequestError

from campus_events.registry import CONTEXTS, PUBLIC, stream_for_context
from campus_events.streams import ensure_streams

CAMPUS_ACCOUNT = "CAMPUS"
OPERATOR = "campus-operator"
# Under this prefix a ministry account reaches the Campus account's JetStream API (only the
# consumer creations the Campus account exports to it).
CAMPUS_API_PREFIX = "$JS.campus.API"
DEFAULT_MINISTRIES = (
    "dinum",
    "mefsin",
    "minarm",
    "sgpi",
    "mi",
    "mj",
    "men",
    "mte",
    "msp",
    "mc",
    "maa",
    "meae",
)
CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CONTEXT_STREAMS = tuple(stream_for_context(c) for c in CONTEXTS)


@dataclass(frozen=True)
class ServiceAccess:
    """What one service may do on NATS: publish ``publishes``; create and update ``manages`` (the
    service kit ensures every context stream at start); consume, pull and ack ``reads``."""

    publishes: tuple[str, ...]
    manages: tuple[str, ...] = CONTEXT_STREAMS
    reads: tuple[str, ...] = CONTEXT_STREAMS


# The one table a service's NATS rights come from.
SERVICES: dict[str, ServiceAccess] = {
    **{c: ServiceAccess(publishes=(f"campus.{c}.>",)) for c in CONTEXTS},
    # Delivers events to ministries' HTTPS endpoints; its own stream, if it keeps one, is its only output.
    "webhooks": ServiceAccess(
        publishes=("campus.webhooks.>",),
        manages=(*CONTEXT_STREAMS, "CAMPUS_WEBHOOKS"),
        reads=(*CONTEXT_STREAMS, "CAMPUS_WEBHOOKS"),
    ),
}


def check_code(code: str) -> str:
    if not CODE.match(code) or code == PUBLIC or len(code) > 40:
        raise ValueError(f"not a ministry code: {code!r} (lowercase letters, digits and dashes)")
    return code


def ministry_account(code: str) -> str:
    return "MINISTRY_" + check_code(code).upper().replace("-", "_")


def ministry_user(code: str) -> str:
    return f"ministry-{code}"


def admin_user(code: str) -> str:
    return f"campus-admin-{code}"


def deliver_prefix(code: str) -> str:
    return f"deliver.{code}"


# --- passwords and the ministries known to a development stack -------------------------------


def _secret(root: Path) -> bytes:
    path = root / "nats.secret"
    if not path.exists():
        root.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def password_for(root: Path, user: str) -> str:
    return hmac.new(_secret(root), user.encode(), hashlib.sha256).hexdigest()[:32]


def _read_list(path: Path) -> list[str]:
    return list(json.loads(path.read_text())) if path.exists() else []


def ministries(root: Path) -> list[str]:
    return sorted(set(DEFAULT_MINISTRIES) | set(_read_list(root / "ministries.json")))


def add_ministry(root: Path, code: str) -> bool:
    """Register a ministry code; True if it is new (the server config must then be reloaded)."""
    check_code(code)
    if code in ministries(root):
        return False
    path = root / "ministries.json"
    path.write_text(json.dumps(sorted({*_read_list(path), code})))
    return True


def provisioned(root: Path) -> list[str]:
    """The ministries whose sourced streams were created (on demand, by `campus nats-user`)."""
    return sorted(_read_list(root / "nats-provisioned.json"))


# --- permissions -----------------------------------------------------------------------------


def service_permissions(name: str) -> dict[str, list[str]]:
    access = SERVICES[name]
    publish = [*access.publishes, "$JS.API.INFO"]
    for stream in access.manages:
        publish += [f"$JS.API.STREAM.{verb}.{stream}" for verb in ("CREATE", "UPDATE", "INFO")]
    for stream in access.reads:
        publish += [
            f"$JS.API.STREAM.INFO.{stream}",
            f"$JS.API.CONSUMER.CREATE.{stream}",
            f"$JS.API.CONSUMER.CREATE.{stream}.>",
            f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.*",
            f"$JS.API.CONSUMER.INFO.{stream}.*",
            f"$JS.API.CONSUMER.DELETE.{stream}.*",
            f"$JS.API.CONSUMER.MSG.NEXT.{stream}.*",
            f"$JS.ACK.{stream}.>",
        ]
    return {"publish": list(dict.fromkeys(publish)), "subscribe": ["_INBOX.>"]}


def ministry_permissions(code: str) -> dict[str, list[str]]:
    """Read-only, inside the ministry's own account: list and inspect the streams; create consumers
    filtered on the public scope or its own (the filter-bearing create subject: a wider filter or
    none is refused); inspect, list and delete its consumers; pull; ack. No publish."""
    return {
        "publish": [
            "$JS.API.INFO",
            "$JS.API.STREAM.NAMES",
            "$JS.API.STREAM.LIST",
            "$JS.API.STREAM.INFO.*",
            f"$JS.API.CONSUMER.CREATE.*.*.campus.*.{PUBLIC}.>",
            f"$JS.API.CONSUMER.CREATE.*.*.campus.*.{code}.>",
            "$JS.API.CONSUMER.NAMES.*",
            "$JS.API.CONSUMER.LIST.*",
            "$JS.API.CONSUMER.INFO.*.*",
            "$JS.API.CONSUMER.DELETE.*.*",
            "$JS.API.CONSUMER.MSG.NEXT.*.*",
            "$JS.ACK.>",
        ],
        "subscribe": ["_INBOX.>"],
    }


def admin_permissions() -> dict[str, list[str]]:
    """The ministry account's own JetStream API (the streams it sources); not the Campus import."""
    return {"publish": ["$JS.API.>"], "subscribe": ["_INBOX.>"]}


ALL = {"publish": [">"], "subscribe": [">"]}


# --- rendering -------------------------------------------------------------------------------


def _quote(values: Iterable[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def _user(user: str, password: str, perms: dict[str, list[str]]) -> str:
    return (
        f"{{user: {json.dumps(user)}, password: {password}, permissions: "
        f"{{publish: {{allow: {_quote(perms['publish'])}}}, subscribe: {{allow: {_quote(perms['subscribe'])}}}}}}}"
    )


def consumer_export(scope: str) -> str:
    return f"$JS.API.CONSUMER.CREATE.*.*.campus.*.{scope}.>"


def render_accounts(codes: Iterable[str], password: Callable[[str], str]) -> list[str]:
    """The ``accounts { … }`` block; ``password(user)`` gives each password's config token."""
    codes = [check_code(c) for c in codes]
    accounts = [ministry_account(c) for c in codes]
    lines = ["accounts {", f"  {CAMPUS_ACCOUNT} {{", "    jetstream: enabled", "    users = ["]
    lines.append(f"      {_user(OPERATOR, password(OPERATOR), ALL)}")
    for name in SERVICES:
        lines.append(f"      {_user(f'svc-{name}', password(f'svc-{name}'), service_permissions(name))}")
    lines += ["    ]", "    exports = ["]
    if accounts:
        lines.append(
            f"      {{service: {json.dumps(consumer_export(PUBLIC))}, accounts: {_quote(accounts)}}}"
        )
    for code, account in zip(codes, accounts, strict=True):
        lines.append(f"      {{service: {json.dumps(consumer_export(code))}, accounts: {_quote([account])}}}")
        lines.append(
            f"      {{stream: {json.dumps(deliver_prefix(code) + '.>')}, accounts: {_quote([account])}}}"
        )
    lines += ["    ]", "  }"]
    api_prefix = CAMPUS_API_PREFIX.removesuffix(".API")
    for code, account in zip(codes, accounts, strict=True):
        imports = [
            f"{{service: {{account: {CAMPUS_ACCOUNT}, subject: {json.dumps(consumer_export(scope))}}}, "
            f"to: {json.dumps(consumer_export(scope).replace('$JS', api_prefix, 1))}}}"
            for scope in (PUBLIC, code)
        ]
        imports.append(
            f"{{stream: {{account: {CAMPUS_ACCOUNT}, subject: {json.dumps(deliver_prefix(code) + '.>')}}}}}"
        )
        lines += [
            f"  {account} {{",
            # No memory storage; enough consumers for any reader, not enough to exhaust the server.
            "    jetstream: {max_mem: 0, max_file: -1, max_streams: 64, max_consumers: 1000}",
            "    users = [",
            f"      {_user(ministry_user(code), password(ministry_user(code)), ministry_permissions(code))}",
            f"      {_user(admin_user(code), password(admin_user(code)), admin_permissions())}",
            "    ]",
            "    imports = [",
            *[f"      {i}" for i in imports],
            "    ]",
            "  }",
        ]
    lines.append("}")
    return lines


def all_users(codes: Iterable[str]) -> list[str]:
    users = [OPERATOR, *(f"svc-{s}" for s in SERVICES)]
    for code in codes:
        users += [ministry_user(code), admin_user(code)]
    return users


def write_server_config(path: Path, root: Path) -> Path:
    """The development stack's config, for the ministries known under ``root``."""
    lines = ["# Generated by campus_devstack.natsconf: do not edit.", "max_payload: 1MB"]
    lines += render_accounts(ministries(root), lambda user: json.dumps(password_for(root, user)))
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def password_variable(user: str) -> str:
    return "PW_" + re.sub(r"[^A-Za-z0-9]", "_", user).upper()


def deploy_accounts(codes: Iterable[str]) -> str:
    """deploy/nats/accounts.conf: the accounts, passwords taken from ``passwords.conf`` variables."""
    codes = sorted(codes)
    lines = [
        "# Generated by `python -m campus_devstack.natsconf deploy`: do not edit; regenerate.",
        "# Passwords come from ./passwords.conf (a Secret: see passwords.conf.template).",
        "include ./passwords.conf",
        *render_accounts(codes, lambda user: "$" + password_variable(user)),
    ]
    return "\n".join(lines) + "\n"


def passwords_template(codes: Iterable[str]) -> str:
    lines = [
        "# passwords.conf: one variable per NATS user, bcrypt hashes (`nats server passwd`, or",
        "# python -c 'import bcrypt,sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(11)).decode())' PW).",
        "# Copy to passwords.conf, fill in, and keep it in the campus-nats-accounts Secret only.",
    ]
    lines += [f'{password_variable(u)}: "<bcrypt hash of {u}\'s password>"' for u in all_users(sorted(codes))]
    return "\n".join(lines) + "\n"


def credentials_url(url: str, user: str, password: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}:{password}@{rest}"


# --- the ministries' sourced streams ---------------------------------------------------------


def ministry_stream_config(context: str, code: str, *, replicas: int = 1) -> StreamConfig:
    """``CAMPUS_<CONTEXT>`` in a ministry's account: no subjects of its own (nobody can publish
    into it), sourced from the Campus stream of the same name, filtered on the public scope and the
    ministry's, limits retention with no limit (a new consumer replays from the first event)."""
    name = stream_for_context(context)
    external = ExternalStream(api=CAMPUS_API_PREFIX, deliver=deliver_prefix(code))
    return StreamConfig(
        name=name,
        description=f"{name} as ministry {code} may read it: public and {code} subjects",
        subjects=[],
        sources=[
            StreamSource(name=name, filter_subject=f"campus.{context}.{scope}.>", external=external)
            for scope in (PUBLIC, code)
        ],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_msgs=-1,
        max_bytes=-1,
        max_age=0,
        num_replicas=replicas,
    )


async def ensure_ministry_streams(
    js: JetStreamContext, code: str, contexts: Iterable[str] = CONTEXTS, *, replicas: int = 1
) -> list[str]:
    """Create a ministry's sourced streams or bring them to this configuration. Idempotent. ``js``
    is a JetStream context of the ministry's admin user."""
    names = []
    for context in contexts:
        config = ministry_stream_config(context, code, replicas=replicas)
        try:
            await js.add_stream(config)
        except BadRequestError:  # exists with another configuration
            await js.update_stream(config)
        names.append(stream_for_context(context))
    return names


async def _quiet(exc: Exception) -> None:
    """nats-py prints connection errors by default; callers here handle them."""


async def _connect_when_accepted(url: str, user: str, password: str, patience: float) -> NATS:
    """Connect as ``user``, retrying while the server (being reloaded) does not know it yet."""
    deadline = asyncio.get_running_loop().time() + patience
    while True:
        try:
            return await nats.connect(
                url, user=user, password=password, allow_reconnect=False, connect_timeout=2, error_cb=_quiet
            )
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.1)


async def sources_active(js: JetStreamContext, names: Iterable[str]) -> bool:
    """True when every source of these streams has heard from the Campus account (data or heartbeat)."""
    for name in names:
        info = await js.stream_info(name)
        if not info.sources or any(s.active is None or s.active < 0 for s in info.sources):
            return False
    return True


async def _wait(check: Callable[[], Awaitable[bool]], seconds: float) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


def reload_server(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGHUP)  # nats-server reloads its configuration file


async def _provision_ministry(
    url: str, root: Path, code: str, contexts: tuple[str, ...], patience: float, server_pid: int | None
) -> None:
    admin = await _connect_when_accepted(
        url, admin_user(code), password_for(root, admin_user(code)), patience
    )
    try:
        js = admin.jetstream()
        names = [stream_for_context(c) for c in contexts]
        existing = {i.config.name for i in await js.streams_info()}
        # nats-server (seen on 2.15) does not wire an account's imports of exports restricted to it
        # in the reload that creates the account (its users already work: we are connected); the
        # next reload does. So a new ministry gets one more reload before its streams are created.
        if server_pid is not None and not existing.issuperset(names):
            reload_server(server_pid)
            await asyncio.sleep(0.5)
        deadline = asyncio.get_running_loop().time() + patience
        while True:
            await ensure_ministry_streams(js, code, contexts)
            if await _wait(lambda: sources_active(js, names), 3.0):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"the streams of ministry {code} receive nothing from the Campus account")
            # A source that failed retries only after ~40 s: reload once more and create again the
            # streams that never received anything (nobody can have read from them).
            if server_pid is not None:
                reload_server(server_pid)
                await asyncio.sleep(0.5)
            for name in names:
                info = await js.stream_info(name)
                if info.state.last_seq == 0 and info.state.consumer_count == 0:
                    await js.delete_stream(name)
    finally:
        await admin.close()


async def provision_ministries_async(
    url: str,
    root: Path,
    codes: Iterable[str],
    contexts: Iterable[str] = CONTEXTS,
    patience: float = 30.0,
    server_pid: int | None = None,
) -> None:
    """On a development server: the Campus streams (as the services create them), then each
    ministry's sourced streams, checked to receive; remember the ministries provisioned (their
    streams are ensured again at each start). ``server_pid``: the server, to reload it."""
    codes, contexts = list(codes), tuple(contexts)
    operator = await _connect_when_accepted(url, OPERATOR, password_for(root, OPERATOR), patience)
    try:
        await ensure_streams(operator.jetstream(), contexts)
    finally:
        await operator.close()
    for code in codes:
        await _provision_ministry(url, root, code, contexts, patience, server_pid)
    path = root / "nats-provisioned.json"
    path.write_text(json.dumps(sorted({*_read_list(path), *codes})))


def provision_ministries(
    url: str,
    root: Path,
    codes: Iterable[str],
    contexts: Iterable[str] = CONTEXTS,
    server_pid: int | None = None,
) -> None:
    asyncio.run(provision_ministries_async(url, root, codes, contexts, server_pid=server_pid))


def main(argv: list[str] | None = None) -> None:
    """``deploy DIR``: write DIR/accounts.conf and DIR/passwords.conf.template for the ministries.
    ``streams``: create a ministry's sourced streams on a deployed server, as its admin user."""
    parser = argparse.ArgumentParser(prog="python -m campus_devstack.natsconf")
    commands = parser.add_subparsers(dest="command", required=True)
    deploy = commands.add_parser("deploy", help="write the deployment's accounts.conf and template")
    deploy.add_argument("directory", type=Path)
    deploy.add_argument("--ministry", action="append", help="ministry codes (default: the known ones)")
    streams = commands.add_parser("streams", help="create or update a ministry's sourced streams")
    streams.add_argument("--url", required=True, help="nats://campus-admin-CODE:PASSWORD@HOST:4222")
    streams.add_argument("--ministry", required=True)
    streams.add_argument("--replicas", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command == "deploy":
        codes = sorted(set(args.ministry or DEFAULT_MINISTRIES))
        args.directory.mkdir(parents=True, exist_ok=True)
        (args.directory / "accounts.conf").write_text(deploy_accounts(codes))
        (args.directory / "passwords.conf.template").write_text(passwords_template(codes))
        return

    async def create() -> list[str]:
        nc = await nats.connect(args.url, allow_reconnect=False)
        try:
            return await ensure_ministry_streams(
                nc.jetstream(), check_code(args.ministry), replicas=args.replicas
            )
        finally:
            await nc.close()

    print(" ".join(asyncio.run(create())), file=sys.stdout)


if __name__ == "__main__":
    main()
