"""``campus``: the development stack and the operator's commands (CONTRACT.md)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Annotated

import typer

from .home import campus_home

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


@app.callback()
def _quiet_logs() -> None:
    """Library logs go to standard error: standard output carries only the bare values."""
    import sys

    import structlog

    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))


@app.command()
def dev(
    root: Annotated[Path | None, typer.Option(help="state folder (default .campus/)")] = None,
    seed: Annotated[bool, typer.Option(help="seed the demo catalogue")] = True,
) -> None:
    """Run NATS, PostgreSQL and the five services until Ctrl-C (what `make run` does)."""
    from campus_devstack.stack import Stack

    from .devrun import run_stack

    _die_with_parent()
    run_stack(Stack(root=(root or campus_home(create=True)).resolve()), seed=seed)


def _die_with_parent() -> None:
    """If `make` is killed, stop too (cleanly, through SIGTERM) rather than linger."""
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


@app.command()
def token(
    role: Annotated[
        list[str], typer.Option("--role", help="agent, manager, campus_staff, funding_committee, admin")
    ],
    ministry: Annotated[str, typer.Option(help="ministry code, e.g. dinum")],
    sub: Annotated[str | None, typer.Option(help="the agent's pseudonymous UUID (random if absent)")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    given_name: Annotated[str | None, typer.Option()] = None,
    usual_name: Annotated[str | None, typer.Option()] = None,
    hours: Annotated[float, typer.Option(help="validity")] = 12.0,
) -> None:
    """Print a development JWT that the running services accept."""
    from campus_service.devkeys import mint_token

    keys = campus_home() / "keys"
    private = keys / "private.pem"
    if not private.exists():
        typer.echo(f"no development key in {keys}: start the stack with `make run` first", err=True)
        raise typer.Exit(2)
    subject = str(uuid.UUID(sub)) if sub else str(uuid.uuid4())
    typer.echo(
        mint_token(
            private.read_bytes(),
            sub=subject,
            roles=role,
            ministry=ministry,
            email=email or f"agent.{subject[:8]}@{ministry}.gouv.fr",
            given_name=given_name or "Camille",
            usual_name=usual_name or "Demo",
            ttl=int(hours * 3600),
        )
    )


@app.command("nats-user")
def nats_user(ministry: Annotated[str, typer.Option(help="ministry code")]) -> None:
    """Print ``user:password`` of that ministry's read-only NATS user."""
    from campus_devstack.natsconf import add_ministry, password_for, write_server_config
    from campus_devstack.stack import read_state

    root = campus_home()
    code = ministry.strip().lower()
    if not code.replace("-", "").isalnum():
        typer.echo(f"not a ministry code: {ministry!r}", err=True)
        raise typer.Exit(2)
    from campus_devstack.natsconf import check_code, provision_ministries

    try:
        check_code(code)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    if add_ministry(root, code):
        write_server_config(root / "nats.conf", root)
        state = read_state(root) or {}
        pid = state.get("nats_pid")
        if isinstance(pid, int):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGHUP)  # nats-server reloads its configuration
                time.sleep(0.3)
    running = read_state(root) or {}
    if isinstance(running.get("nats_pid"), int) and running.get("nats_url"):
        # Its account is in the (reloaded) config: create its streams, sourced from the Campus streams.
        provision_ministries(str(running["nats_url"]), root, [code], server_pid=running["nats_pid"])
    user = f"ministry-{code}"
    typer.echo(f"{user}:{password_for(root, user)}")


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Each service's health, consumer lag, outbox backlog and dead letters."""
    from .status import collect, render

    report = collect(campus_home())
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        render(report)
    if not all(s.get("ready") for s in report["services"].values()):
        raise typer.Exit(1)


@app.command()
def seed() -> None:
    """Seed the demo data into the running services (idempotent)."""
    from campus_devstack.stack import read_state

    from .devrun import run_seeders

    state = read_state(campus_home())
    if not state:
        typer.echo("the stack is not running: `make run`", err=True)
        raise typer.Exit(2)
    run_seeders(campus_home(), {n: s["url"] for n, s in dict(state["services"]).items()})


@app.command()
def streams(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """JetStream streams: messages, sequences, consumers, replicas."""
    import asyncio

    from .operate import print_streams
    from .operate import streams as list_streams

    rows = asyncio.run(list_streams(campus_home()))
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
    else:
        print_streams(rows)


dead = typer.Typer(help="Messages a projection could not apply: list, retry after a fix, drop.")
app.add_typer(dead, name="dead-letters")


@dead.command("list")
def dead_list(service: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The dead letters of one service's projections."""
    import asyncio

    from .operate import dead_letters

    rows = asyncio.run(dead_letters(campus_home(), service))
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    for r in rows:
        typer.echo(f"#{r['id']} {r['consumer']} seq={r['stream_seq']} {r['subject']}: {r['error'][:160]}")
    typer.echo(f"{len(rows)} dead letter(s)")


@dead.command("retry")
def dead_retry(service: str, ids: Annotated[list[int] | None, typer.Argument()] = None) -> None:
    """Apply dead letters again through their projection; those that succeed are removed. A failure
    or an id that is not there is said, exit 1."""
    import asyncio

    from .operate import retry_dead_letters

    retried, failures, missing = asyncio.run(retry_dead_letters(campus_home(), service, ids or None))
    for i in missing:
        typer.echo(f"#{i}: no such dead letter in campus_{service}", err=True)
    for failure in failures:
        typer.echo(failure, err=True)
    typer.echo(f"{retried} applied, {len(failures)} still failing")
    if failures or missing:
        raise typer.Exit(1)


@dead.command("drop")
def dead_drop(service: str, ids: list[int]) -> None:
    """Delete dead letters (after deciding they need no repair); an id that is not there is said,
    exit 1."""
    import asyncio

    from .operate import drop_dead_letters

    dropped, missing = asyncio.run(drop_dead_letters(campus_home(), service, ids))
    for i in missing:
        typer.echo(f"#{i}: no such dead letter in campus_{service}", err=True)
    typer.echo(f"{dropped} dropped")
    if missing:
        raise typer.Exit(1)


@app.command("erase-agent")
def erase_agent_command(agent_id: str) -> None:
    """Erase an agent's personal details in every service that holds them (enrollment, trainers)."""
    from campus_service.devkeys import mint_token

    from .operate import erase_agent, erasure_line
    from .status import service_urls

    try:
        agent = str(uuid.UUID(agent_id))
    except ValueError:
        raise typer.BadParameter(f"{agent_id!r} is not an agent id (a UUID)", param_hint="AGENT_ID") from None
    root = campus_home()
    token = mint_token((root / "keys" / "private.pem").read_bytes(), sub=str(uuid.uuid4()), roles=["admin"],
                       ministry="dinum", ttl=300)  # fmt: skip
    results = erase_agent(service_urls(root), token, agent)
    for service, outcome in results.items():
        typer.echo(erasure_line(service, outcome))
    if any(not 200 <= o["status"] < 300 for o in results.values()):
        raise typer.Exit(1)


@app.command("replay")
def replay_command(
    service: str,
    projection: str,
    as_json: Annotated[bool, typer.Option("--json", help="print a JSON summary, no progress bar")] = False,
    keep_previous: Annotated[
        bool, typer.Option(help="keep the replaced tables in schema replay_<projection>_previous, compared")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=5000)] = 500,
) -> None:
    """Rebuild one projection from its JetStream stream while the service keeps answering."""
    import asyncio

    from .replay import UsageError, find_projection, render, run_replay

    try:
        chosen = find_projection(service, projection)
    except UsageError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    root = campus_home()
    out = asyncio.run(
        run_replay(root, service, chosen, keep_previous=keep_previous, batch_size=batch_size, bar=not as_json)
    )
    if as_json:
        typer.echo(json.dumps(out, indent=2, default=str))
    else:
        render(out)
    if out["dead_lettered"] or any((out.get("differences") or {}).values()):
        raise typer.Exit(1)


def main() -> None:
    """The ``campus`` command (the script's entry point): an operator's mistake or a server out of
    reach is one line on stderr, not a traceback (exit 2 and 1)."""
    import socket

    import httpx
    import nats.errors

    from .replay import UsageError

    try:
        app()
    except UsageError as exc:
        typer.echo(f"campus: {exc}", err=True)
        raise SystemExit(2) from None
    except FileNotFoundError as exc:
        typer.echo(f"campus: {exc.filename} not found: is CAMPUS_HOME a running stack's folder?", err=True)
        raise SystemExit(1) from None
    except (ConnectionError, TimeoutError, socket.gaierror, httpx.HTTPError, nats.errors.Error) as exc:
        reason = str(exc) or "no answer"
        typer.echo(
            f"campus: cannot reach a server ({type(exc).__name__}: {reason}); `campus status` says what runs",
            err=True,
        )
        raise SystemExit(1) from None
    except OSError as exc:  # a file of the stack's folder that cannot be read, say
        typer.echo(f"campus: {exc}", err=True)
        raise SystemExit(1) from None
