"""A service process for the benchmarks: the real app of ``campus_<service>``, as ``python -m`` runs it,
plus bench-only routes that production code does not have.

    python bench/serve.py <service>

* ``GET /_bench/bare`` — a bare FastAPI route in the same app (same middleware, same server; FastAPI's
  own ``APIRoute``): the anchor of bench/http_routes.py.
* ``POST /_bench/validate`` (catalog only) — what ``POST /v1/courses`` costs before its command:
  the same body model, gate, dependencies and route class, answering the validated body; no decision, no
  append (bench/http_routes.py's second anchor: FastAPI's share of a command).
* ``GET /_bench/stats`` — how many appends the command routes made and how many of them failed
  on a stale expected version (``ConcurrencyError``: each is one retry of ``run_command``).
"""

# No ``from __future__ import annotations``: FastAPI must see validate_route's local types.
import importlib
import sys
from typing import Any

from fastapi import FastAPI

import campus_service.idempotency as idempotency
from campus_events.store.base import ConcurrencyError
from campus_service.server import run_service

COUNTS = {"appends": 0, "conflicts": 0}


def count_conflicts() -> None:
    original = idempotency.append_outcome

    async def counted(store: Any, ctx: Any, outcome: Any) -> Any:
        COUNTS["appends"] += 1
        try:
            return await original(store, ctx, outcome)
        except ConcurrencyError:
            COUNTS["conflicts"] += 1
            raise

    idempotency.append_outcome = counted  # run_command looks the name up in its module at each call


def instrument(app: FastAPI, name: str) -> FastAPI:
    @app.get("/_bench/bare", include_in_schema=False)
    async def bare() -> dict[str, str]:
        return {"status": "ok"}

    if name == "catalog":
        validate_route(app)

    @app.get("/_bench/stats", include_in_schema=False)
    async def stats() -> dict[str, int]:
        return dict(COUNTS)

    return app


def validate_route(app: FastAPI) -> None:
    from fastapi import APIRouter, Response

    from campus_catalog.api.gates import may_propose
    from campus_catalog.api.models import CourseIn
    from campus_service.deps import CommandDep, StoreDep
    from campus_service.routing import CampusRoute

    router = APIRouter(route_class=CampusRoute)  # as the services' routers

    @router.post("/_bench/validate", status_code=201, include_in_schema=False, dependencies=[may_propose])
    async def validate(body: CourseIn, ctx: CommandDep, store: StoreDep) -> Response:
        return Response(body.model_dump_json(), status_code=201, media_type="application/json")

    app.include_router(router)


def main() -> None:
    name = sys.argv[1]
    bootstrap = importlib.import_module(f"campus_{name}.bootstrap")
    config = importlib.import_module(f"campus_{name}.config")
    count_conflicts()
    run_service(config.Settings, lambda settings: instrument(bootstrap.create_app(settings), name))


if __name__ == "__main__":
    main()
