"""Shared pieces of the service benchmarks (e2e.py, http.py, hotspot.py).

* ``bench_stack`` — the devstack ``Stack`` on free ports (durable PostgreSQL: fsync on) with some
  services only, each started through ``bench/serve.py`` (the real app plus bench-only routes).
* ``Client`` — one keep-alive HTTP/1.1 connection on asyncio streams: the same small client for
  every contender, so that it costs as little CPU as possible on a 2-core machine where the
  load generator and the server share the cores.
* ``machine_info`` — CPU, cores, RAM, PostgreSQL and NATS versions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg

from campus_devstack.servers import _pg_bin, nats_server_binary
from campus_devstack.stack import Stack
from campus_service.devkeys import mint_token

HERE = Path(__file__).resolve().parent
SERVE = HERE / "serve.py"  # the service entry point (a diagnostic copy may stand in)


class BenchStack(Stack):
    """A ``Stack`` whose services run ``bench/serve.py <name>`` instead of ``python -m campus_<name>``."""

    def service_command(self, name: str) -> list[str]:
        return [sys.executable, str(SERVE), name]

    def service_env(self, name: str, port: int) -> dict[str, str]:
        return {**super().service_env(name, port), "CAMPUS_LOG_LEVEL": "WARNING"}


@contextlib.contextmanager
def bench_stack(services: tuple[str, ...], *, durable: bool = True) -> Iterator[BenchStack]:
    with (
        tempfile.TemporaryDirectory(prefix="campus-bench-stack-") as tmp,
        BenchStack.on_free_ports(Path(tmp), services, durable=durable).running() as stack,
    ):
        yield stack


class Tokens:
    def __init__(self, stack: Stack) -> None:
        self.private = (stack.root / "keys" / "private.pem").read_bytes()

    def header(self, *roles: str, ministry: str = "dinum", sub: uuid.UUID | None = None) -> str:
        token = mint_token(
            self.private, sub=str(sub or uuid.uuid4()), roles=list(roles), ministry=ministry, ttl=7200
        )
        return f"Bearer {token}"


class Client:
    """One HTTP/1.1 keep-alive connection; ``request`` returns ``(status, body bytes)``."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> Client:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()

    async def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        if self.writer is None:
            await self.connect()
        try:
            return await self._exchange(method, path, body, headers)
        except (asyncio.IncompleteReadError, ConnectionError):
            if method != "GET":  # never send a command twice
                raise
            await self.close()  # the server closed an idle keep-alive connection: once more
            await self.connect()
            return await self._exchange(method, path, body, headers)

    async def _exchange(
        self, method: str, path: str, body: Any, headers: dict[str, str] | None
    ) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        data = b"" if body is None else json.dumps(body).encode()
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(data)}",
        ]
        if body is not None:
            lines.append("Content-Type: application/json")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
        if fields.get("transfer-encoding") == "chunked":
            chunks = []
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                chunks.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")
            content = b"".join(c[:-2] for c in chunks)
        else:
            content = await self.reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection") == "close":
            await self.close()
            self.writer = None
        return status, content


def start_pyspy(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling process ``pid`` (250 Hz, without pausing it) into ``out`` (collapsed stacks)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--format", "raw",
         "--rate", "250", "--nonblocking", "-o", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop_pyspy(spy: subprocess.Popen[bytes]) -> None:
    spy.send_signal(signal.SIGINT)  # py-spy writes its file and exits
    spy.wait(60)


def summarise_profile(path: Path, what: str, top: int = 22) -> str:
    """Inclusive and self share of the sampled stacks (py-spy raw format: ``frame;frame;... count``)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        frames = [f.split(" (")[0] + " (" + f.split(" (")[-1].split(":")[0].rsplit("/", 1)[-1] + ")"
                  for f in stack.split(";")]  # fmt: skip
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    lines = [f"py-spy: {total} samples of {what}", "inclusive:"]
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    lines.append("self:")
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(12)]
    return "\n".join(lines)


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user + system) process ``pid`` has used so far; None where /proc is not."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine_info(pg_url: str | None = None) -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    ram = next(
        (
            int(line.split()[1]) / 1024 / 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0.0,
    )
    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count() or 0,
        "ram_gb": round(ram, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg": os.getloadavg(),
    }
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run([nats_server_binary(), "--version"], capture_output=True, text=True, timeout=10)
        info["nats"] = out.stdout.strip() or out.stderr.strip()
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            [str(_pg_bin() / "postgres"), "--version"], capture_output=True, text=True, timeout=10
        )
        info["postgresql"] = out.stdout.strip().rsplit(" ", 1)[-1]
    if pg_url:
        info["postgresql"] = asyncio.run(_pg_version(pg_url))
    return info


async def _pg_version(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


async def wait_until(check: Any, within: float, interval: float = 0.05) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while not (result := await check()):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"not true after {within}s")
        await asyncio.sleep(interval)
    return result


async def scheduled_session(
    catalog: Client, enrollment: Client, staff: str, agent: str, *, capacity: int, sessions: int = 1
) -> tuple[str, list[str]]:
    """A published scheduled course with ``sessions`` sessions of ``capacity`` seats, known to enrollment."""
    auth = {"Authorization": staff}
    status, body = await catalog.request(
        "POST",
        "/v1/courses",
        {
            "title": f"Benchmark {uuid.uuid4().hex[:6]}",
            "kind": "formation",
            "summary": "Donnée de banc d'essai",
            "modality": "online",
            "themes": ["data"],
            "pace": "scheduled",
        },
        auth,
    )
    assert status == 201, body
    course_id = json.loads(body)["id"]
    status, body = await catalog.request("POST", f"/v1/courses/{course_id}/publish", None, auth)
    assert status == 200, body
    session_ids = []
    for i in range(sessions):
        status, body = await catalog.request(
            "POST",
            f"/v1/courses/{course_id}/sessions",
            {
                "starts_at": f"2027-03-{1 + i % 28:02d}T09:00:00Z",
                "ends_at": f"2027-03-{1 + i % 28:02d}T12:00:00Z",
                "capacity": capacity,
                "join_url": "https://visio.example.org/bench",
            },
            auth,
        )
        assert status == 201, body
        session_ids.append(json.loads(body)["id"])

    async def known() -> bool:  # the enrollment service has projected the course and every session
        for session_id in session_ids:
            status, _ = await enrollment.request(
                "GET", f"/v1/sessions/{session_id}/seats", None, {"Authorization": agent}
            )
            if status != 200:
                return False
        return True

    await wait_until(known, within=60)
    return course_id, session_ids


async def bench_counts(client: Client) -> dict[str, int]:
    status, body = await client.request("GET", "/_bench/stats")
    assert status == 200, body
    return dict(json.loads(body))
