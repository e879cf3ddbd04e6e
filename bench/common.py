"""Shared helpers for the benchmarks: a throwaway PostgreSQL server, fresh databases, timed writer loops."""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from campus_devstack.servers import EmbeddedPostgres, free_port

PAYLOAD = {"title": "Introduction to event sourcing", "credits": 6, "tags": ["bench", "campus"]}


@contextmanager
def embedded_postgres(*, durable: bool = True) -> Iterator[EmbeddedPostgres]:
    """One PostgreSQL server on a free port in a temporary directory, stopped and removed at the end."""
    root = Path(tempfile.mkdtemp(prefix="campus-bench-"))
    server = EmbeddedPostgres(root / "pg", free_port(), durable=durable)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


async def create_database(server: EmbeddedPostgres, name: str) -> str:
    """A fresh, empty database on ``server``; returns its URL."""
    conn = await asyncpg.connect(server.url())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.url(name)


async def server_settings(server: EmbeddedPostgres) -> dict[str, str]:
    """The server version and the settings that decide commit cost."""
    conn = await asyncpg.connect(server.url())
    try:
        names = ("server_version", "fsync", "synchronous_commit", "wal_sync_method", "shared_buffers")
        return {name: str(await conn.fetchval(f"SHOW {name}")) for name in names}
    finally:
        await conn.close()


def machine(settings: dict[str, str]) -> dict[str, object]:
    return {
        "nproc": os.cpu_count() or 0,
        "python": platform.python_version(),
        "postgresql": settings["server_version"],
        "platform": platform.platform(),
        "pg_settings": {k: v for k, v in settings.items() if k != "server_version"},
    }


async def run_tasks(
    op: Callable[[int, int], Awaitable[object]], writers: int, warmup: float, seconds: float
) -> tuple[int, float]:
    """``writers`` asyncio tasks call ``op(writer, i)`` in a loop; counts the events done in the window."""
    counts = [0] * writers
    state = {"measuring": False, "stop": False}

    async def writer(w: int) -> None:
        i = 0
        while not state["stop"]:
            await op(w, i)
            i += 1
            if state["measuring"] and not state["stop"]:
                counts[w] += 1

    tasks = [asyncio.create_task(writer(w)) for w in range(writers)]
    await asyncio.sleep(warmup)
    state["measuring"] = True
    start = time.perf_counter()
    await asyncio.sleep(seconds)
    state["stop"] = True
    elapsed = time.perf_counter() - start
    await asyncio.gather(*tasks)
    return sum(counts), elapsed


def run_threads(
    op: Callable[[int, int], object], writers: int, warmup: float, seconds: float
) -> tuple[int, float]:
    """``writers`` OS threads call ``op(writer, i)`` in a loop; counts the events done in the window."""
    counts = [0] * writers
    measuring, stop = threading.Event(), threading.Event()

    def writer(w: int) -> None:
        i = 0
        try:
            while not stop.is_set():
                op(w, i)
                i += 1
                if measuring.is_set() and not stop.is_set():
                    counts[w] += 1
        finally:
            stop.set()  # a failing writer ends the run; its exception surfaces through its future

    with ThreadPoolExecutor(writers) as pool:
        futures = [pool.submit(writer, w) for w in range(writers)]
        stop.wait(warmup)
        measuring.set()
        start = time.perf_counter()
        stop.wait(seconds)
        stop.set()
        elapsed = time.perf_counter() - start
        for future in futures:
            future.result()
    return sum(counts), elapsed
