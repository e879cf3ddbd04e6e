"""``CampusRoute``: a route's dependency tree resolved by a plan made once gives the endpoint what
FastAPI's own resolution gives, calls the dependencies in the same order and as often, keeps the
OpenAPI document, honours ``dependency_overrides``, and leaves the trees it cannot plan to FastAPI.
Every route of the six services is planned."""

# No ``from __future__ import annotations``: FastAPI must see the local dependencies' types.
import importlib
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from campus_service.routing import CampusRoute

SERVICES = ("catalog", "enrollment", "projects", "funding", "trainers", "webhooks")


class Item(BaseModel):
    name: str
    size: int


def build(route_class: type[APIRoute]) -> tuple[FastAPI, list[str]]:
    """The same app, routes of ``route_class``; ``calls`` records each dependency call in order."""
    calls: list[str] = []
    bearer = HTTPBearer(auto_error=False)

    async def who(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
    ) -> str:
        calls.append("who")
        return credentials.credentials if credentials else "nobody"

    class Gate:
        def __init__(self, allowed: str) -> None:
            self.allowed = allowed

        async def __call__(self, caller: Annotated[str, Depends(who)]) -> None:
            calls.append(f"gate:{self.allowed}")
            if caller != self.allowed:
                raise PermissionError(caller)

    async def context(request: Request, caller: Annotated[str, Depends(who)]) -> dict[str, str]:
        calls.append("context")
        return {"caller": caller, "path": request.url.path}

    async def store(request: Request) -> str:
        calls.append("store")
        return "the store"

    router = APIRouter(route_class=route_class, prefix="/v1")

    @router.post("/items/{kind}", status_code=201, dependencies=[Depends(Gate("alice"))])
    async def create(
        kind: str,
        body: Item,
        ctx: Annotated[dict[str, str], Depends(context)],
        db: Annotated[str, Depends(store)],
    ) -> dict[str, Any]:
        calls.append("endpoint")
        return {"kind": kind, "body": body.model_dump(), "ctx": ctx, "db": db}

    @router.post(
        "/answers/{kind}", status_code=201, response_model=Item, dependencies=[Depends(Gate("alice"))]
    )
    async def answer(
        kind: str,
        body: Item,
        ctx: Annotated[dict[str, str], Depends(context)],
        request: Request,
        limit: int = 5,
    ) -> Response:
        calls.append("endpoint")
        text = f"{kind}:{body.name}:{body.size}:{ctx['caller']}:{limit}:{request.method}"
        return Response(text, status_code=201, media_type="text/plain")

    @router.get("/plain")
    async def plain(caller: Annotated[str, Depends(who)], limit: int = 10) -> dict[str, Any]:
        return {"caller": caller, "limit": limit}

    async def with_header(x_team: Annotated[str, Header()]) -> str:
        return x_team

    @router.get("/team")
    async def team(name: Annotated[str, Depends(with_header)]) -> Response:
        return Response(name)

    async def opened() -> Any:
        calls.append("opened")
        yield "resource"
        calls.append("closed")

    @router.get("/resource")
    async def resource(value: Annotated[str, Depends(opened)]) -> dict[str, str]:
        return {"value": value}

    app = FastAPI()

    @app.exception_handler(PermissionError)
    async def forbidden(request: Request, exc: PermissionError) -> Response:
        return Response(f"forbidden: {exc}", status_code=403)

    app.include_router(router)
    app.state.who = who
    return app, calls


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def routes(app: FastAPI) -> dict[str, APIRoute]:
    found: dict[str, APIRoute] = {}

    def walk(items: list[Any]) -> None:
        for item in items:
            if hasattr(item, "effective_candidates"):  # FastAPI >= 0.16x: included routers kept whole
                walk([getattr(c, "original_route", c) for c in item.effective_candidates()])
            elif isinstance(item, APIRoute):
                found[f"{','.join(sorted(item.methods))} {item.path}"] = item

    walk(app.router.routes)
    return found


async def exchange(app: FastAPI, calls: list[str]) -> list[tuple[int, Any, list[str]]]:
    """The same requests to an app: status, answer and dependency calls of each."""
    requests = [
        ("POST", "/v1/items/book", {"name": "Guide", "size": 3}, "alice"),
        ("POST", "/v1/items/book", {"name": "Guide", "size": 3}, "bob"),  # the gate refuses
        ("POST", "/v1/items/book", {"name": "Guide", "size": "big"}, "alice"),  # 422 after the gate
        ("POST", "/v1/items/book", {"name": "Guide", "size": "big"}, "bob"),  # 403 before 422
        ("POST", "/v1/answers/book?limit=2", {"name": "Guide", "size": 3}, "alice"),  # 8: the fast path
        ("POST", "/v1/answers/book", {"name": "Guide", "size": "big"}, "alice"),  # 9: 422 body
        ("POST", "/v1/answers/book?limit=x", {"name": "Guide", "size": 3}, "alice"),  # 10: 422 query
        ("POST", "/v1/answers/book", {"name": "Guide", "size": "big"}, "bob"),  # 11: 403 before 422
        ("POST", "/v1/answers/book", None, "alice"),  # 12: no body
        ("POST", "/v1/answers/book", (b'{"name": "Guide", "size": 3', "application/json"), "alice"),  # 13
        ("POST", "/v1/answers/book", (b'{"name": "Guide", "size": 3}', None), "alice"),  # 14: no type
        ("GET", "/v1/plain?limit=3", None, "carol"),
        ("GET", "/v1/plain?limit=many", None, None),
        ("GET", "/v1/team", None, None),  # the dependency's header is missing: 422
        ("GET", "/v1/resource", None, None),
    ]
    seen = []
    async with client(app) as http:
        for method, path, body, token in requests:
            calls.clear()
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            if isinstance(body, tuple):  # bytes as they are, with their content type if any
                content, kind = body
                answer = await http.request(
                    method,
                    path,
                    content=content,
                    headers={**headers, "Content-Type": kind} if kind else headers,
                )
            else:
                answer = await http.request(method, path, json=body, headers=headers)
            content = answer.json() if "json" in answer.headers.get("content-type", "") else answer.text
            seen.append((answer.status_code, content, list(calls)))
    return seen


async def test_a_planned_route_answers_and_calls_as_fastapi_does():
    planned, planned_calls = build(CampusRoute)
    stock, stock_calls = build(APIRoute)
    got, expected = await exchange(planned, planned_calls), await exchange(stock, stock_calls)
    # One deliberate difference (routing._text_checked): a body without a Content-Type is the kit's
    # 415, before any dependency; FastAPI's strict content type answers a 422 about the body after them.
    assert got[10] == (415, {"detail": "the body has no Content-Type: send it as application/json"}, [])
    assert expected[10][0] == 422 and "endpoint" not in expected[10][2]  # strict: no content type, no JSON
    got[10] = expected[10]
    assert got == expected
    # what the comparison covers: an answer through every dependency, each called once and in order
    assert got[0] == (
        201,
        {"kind": "book", "body": {"name": "Guide", "size": 3},
         "ctx": {"caller": "alice", "path": "/v1/items/book"}, "db": "the store"},
        ["who", "gate:alice", "context", "store", "endpoint"],
    )  # fmt: skip
    assert got[1][0] == 403 and got[3][0] == 403 and got[2][0] == 422
    assert got[2][1]["detail"][0]["loc"] == ["body", "size"]
    assert got[4] == (201, "book:Guide:3:alice:2:POST", ["who", "gate:alice", "context", "endpoint"])
    assert got[5][1]["detail"][0]["loc"] == ["body", "size"]
    assert got[6][1]["detail"][0]["loc"] == ["query", "limit"]
    assert got[7][0] == 403
    assert got[8][1]["detail"][0]["loc"] == ["body"]
    assert got[9][1]["detail"][0]["type"] == "json_invalid"
    assert got[13][0] == 422 and got[13][1]["detail"][0]["loc"] == ["header", "x-team"]
    assert got[14] == (200, {"value": "resource"}, ["opened", "closed"])


def test_only_trees_of_request_only_async_dependencies_are_planned():
    app, _ = build(CampusRoute)
    plans = {name: route.__dict__.get("dependency_plans") for name, route in routes(app).items()}
    assert plans["POST /v1/items/{kind}"] and plans["GET /v1/plain"] and plans["POST /v1/answers/{kind}"]
    fast = {name: route.__dict__.get("fast_handled") for name, route in routes(app).items()}
    assert all(fast["POST /v1/answers/{kind}"])  # a JSON model body, an answer given as a Response
    assert not any(fast["POST /v1/items/{kind}"])  # an answer FastAPI validates and serialises
    assert not plans["GET /v1/team"]  # a dependency reading a header: FastAPI resolves it
    assert not plans["GET /v1/resource"]  # a generator dependency: FastAPI resolves it
    steps = plans["POST /v1/items/{kind}"][0].steps  # type: ignore[index]
    assert len(steps) == 5  # bearer, who, gate, context, store: who and bearer once, as FastAPI's cache


def test_the_openapi_document_is_fastapis():
    assert build(CampusRoute)[0].openapi() == build(APIRoute)[0].openapi()


async def test_dependency_overrides_are_honoured():
    app, _ = build(CampusRoute)

    async def someone_else() -> str:
        return "mallory"

    app.dependency_overrides[app.state.who] = someone_else
    async with client(app) as http:
        answer = await http.get("/v1/plain", headers={"Authorization": "Bearer carol"})
        assert answer.json() == {"caller": "mallory", "limit": 10}
        app.dependency_overrides.clear()
        answer = await http.get("/v1/plain", headers={"Authorization": "Bearer carol"})
        assert answer.json() == {"caller": "carol", "limit": 10}


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_of_the_services_is_planned(service):
    config = importlib.import_module(f"campus_{service}.config")
    bootstrap = importlib.import_module(f"campus_{service}.bootstrap")
    found = routes(bootstrap.create_app(config.Settings()))
    assert len(found) > 10
    unplanned = [name for name, route in found.items() if not route.__dict__.get("dependency_plans")]
    assert unplanned == []
    assert all(isinstance(route, CampusRoute) for route in found.values())


async def test_the_common_case_never_reaches_fastapis_resolution(monkeypatch):
    import fastapi.routing

    app, _ = build(CampusRoute)
    original, solved = fastapi.routing.solve_dependencies, []

    async def counted(**kwargs: Any) -> Any:
        solved.append(kwargs["dependant"].path)
        return await original(**kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    headers = {"Authorization": "Bearer alice"}
    async with client(app) as http:
        answer = await http.post("/v1/answers/book", json={"name": "Guide", "size": 3}, headers=headers)
        assert answer.status_code == 201 and solved == []
        answer = await http.post("/v1/answers/book", json={"name": "Guide"}, headers=headers)
        assert answer.status_code == 422 and solved == ["/v1/answers/{kind}"]  # FastAPI answers the 422
        answer = await http.post("/v1/items/book", json={"name": "Guide", "size": 3}, headers=headers)
        assert answer.status_code == 201 and solved[1:] == [
            "/v1/items/{kind}"
        ]  # its answer is FastAPI's to make


async def test_dependencies_given_where_a_router_is_included_are_planned_and_run():
    """Router-level dependencies (``APIRouter(dependencies=…)``, ``include_router(dependencies=…)``)
    belong to the included route's tree: the plan and the fast path must run them."""
    calls: list[str] = []

    async def outer(request: Request) -> None:
        calls.append("outer")
        if request.headers.get("x-outer") != "yes":
            raise PermissionError("outer")

    async def inner() -> None:
        calls.append("inner")

    router = APIRouter(route_class=CampusRoute, dependencies=[Depends(inner)])

    @router.post("/things")
    async def things(body: Item) -> Response:
        calls.append("endpoint")
        return Response(body.name)

    app = FastAPI()

    @app.exception_handler(PermissionError)
    async def forbidden(request: Request, exc: PermissionError) -> Response:
        return Response(f"forbidden: {exc}", status_code=403)

    app.include_router(router, prefix="/v1", dependencies=[Depends(outer)])
    async with client(app) as http:
        refused = await http.post("/v1/things", json={"name": "a", "size": 1})
        assert refused.status_code == 403 and calls == ["outer"]
        calls.clear()
        answer = await http.post("/v1/things", json={"name": "a", "size": 1}, headers={"x-outer": "yes"})
        assert answer.status_code == 200 and answer.text == "a"
        assert calls == ["outer", "inner", "endpoint"]
    assert all(routes(app)["POST /things"].__dict__["fast_handled"])
