"""Routes whose dependencies are resolved by a plan made once, instead of FastAPI's per-request walk.

FastAPI resolves a route's dependency tree at every request, generically: for each node it
recurses, extracts path, query, header and cookie parameters (none, for most), computes a cache
key and classifies the callable again. ``POST /v1/courses`` has eight nodes (its gate, the
principal and the bearer scheme under it, the command context with the principal and the scheme
again, the store, the route): about 150 µs of CPU per request, a sixth of the command
(py-spy, bench/http_routes.py).

``CampusRoute`` (``route_class=CampusRoute`` on every service router) hands FastAPI one
dependency instead of the tree: a ``DependencyPlan``, the tree's callables in the order FastAPI
calls them, each once (FastAPI's per-request cache), each given the request and the values of its
own dependencies. The OpenAPI document still reads the route's own tree. In the common case (a
JSON model body or none, an endpoint answering a ``Response``) ``FastHandler`` takes the request
without FastAPI's handler: the body validated from its bytes, the parameters by FastAPI's own
function, the plan, the endpoint; anything else is FastAPI's handler's, with the plan.

A tree is planned only when every dependency in it is an ``async def`` (or an object with one as
``__call__``) taking nothing but the request and other dependencies, cached per request, without
OAuth scopes: the kit's gates, principal, command context, store, pool and settings. A route with
any other dependency (one reading a header or a query parameter, a generator, a ``def``) is left
to FastAPI whole. When ``app.dependency_overrides`` holds anything (tests), the plan hands the tree
to FastAPI's own resolution, so overrides keep working.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import fastapi.routing
from fastapi import Request, Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args, solve_dependencies
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.params import Form
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code
from pydantic import BaseModel, ValidationError

from .body import text_errors

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
BODY_LIMIT_KEY = "starlette.max_body_size"  # set when a body size limit applies (Starlette ≥ 1.x)

PLAN_PARAM = "_campus_dependencies"


def _is_async_callable(call: Any) -> bool:
    if inspect.iscoroutinefunction(call):
        return True
    if inspect.isclass(call) or inspect.isroutine(call):
        return False
    return inspect.iscoroutinefunction(getattr(call, "__call__", None))  # noqa: B004


def _takes_special_params(dependant: Dependant) -> bool:
    """A websocket, the response, background tasks or security scopes: what only FastAPI gives."""
    return bool(
        dependant.websocket_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
    )


def _plannable(dependant: Dependant) -> bool:
    """Nothing but the request and other dependencies in, an awaitable out, cached per request."""
    return (
        dependant.call is not None
        and _is_async_callable(dependant.call)
        and dependant.use_cache
        and not (
            dependant.path_params
            or dependant.query_params
            or dependant.header_params
            or dependant.cookie_params
            or dependant.body_params
            or _takes_special_params(dependant)
            or dependant.own_oauth_scopes
            or dependant.parent_oauth_scopes
            or getattr(dependant, "concurrency", None) is not None
            or getattr(dependant, "scope", None) is not None
        )
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Step:
    """One callable of the plan: ``call(**{request_names: request, name: values[index], …})``."""

    call: Callable[..., Awaitable[Any]]
    request_names: tuple[str, ...]
    inputs: tuple[tuple[str, int], ...]


class DependencyPlan:
    """A route's dependency tree as the list of calls FastAPI would make, in its order.

    ``DependencyPlan.of(dependant)`` is ``None`` when the tree cannot be planned (see the module).
    """

    def __init__(self, dependant: Dependant, steps: list[Step], outputs: list[tuple[str, int]]) -> None:
        self.dependant = dependant
        self.steps = steps
        self.outputs = outputs
        self.overrides_provider: Any = None

    @classmethod
    def of(cls, dependant: Dependant) -> DependencyPlan | None:
        steps: list[Step] = []
        index: dict[Any, int] = {}

        def place(node: Dependant) -> int | None:
            if not _plannable(node):
                return None
            inputs = []
            for sub in node.dependencies:
                at = place(sub)
                if at is None or sub.name is None:
                    return None
                inputs.append((sub.name, at))
            if node.call in index:  # FastAPI's per-request cache: called once, whoever asks again
                return index[node.call]
            names = tuple(n for n in (node.request_param_name, node.http_connection_param_name) if n)
            steps.append(Step(node.call, names, tuple(inputs)))  # type: ignore[arg-type]
            index[node.call] = len(steps) - 1
            return index[node.call]

        outputs = []
        for sub in dependant.dependencies:
            at = place(sub)
            if at is None:
                return None
            if sub.name is not None:
                outputs.append((sub.name, at))
        return cls(dependant, steps, outputs)

    @property
    def overridden(self) -> bool:
        return bool(getattr(self.overrides_provider, "dependency_overrides", None))

    async def solve(self, request: Request) -> dict[str, Any]:
        """The values of the route's dependencies, by parameter name."""
        if self.overridden:
            return await self._solve_with_fastapi(request)
        values: list[Any] = []
        for step in self.steps:
            kwargs = {name: values[at] for name, at in step.inputs}
            for name in step.request_names:
                kwargs[name] = request
            values.append(await step.call(**kwargs))
        return {name: values[at] for name, at in self.outputs}

    async def _solve_with_fastapi(self, request: Request) -> dict[str, Any]:
        tree = Dependant(dependencies=self.dependant.dependencies, path=self.dependant.path)
        solved = await solve_dependencies(
            request=request,
            dependant=tree,
            dependency_overrides_provider=self.overrides_provider,
            async_exit_stack=request.scope["fastapi_inner_astack"],
            embed_body_fields=False,
        )
        if solved.errors:
            raise RequestValidationError(solved.errors)
        return solved.values

    def planned(self) -> Dependant:
        """The route's dependant with its tree replaced by this plan, for FastAPI to run."""
        endpoint = self.dependant.call
        assert endpoint is not None

        async def run(**values: Any) -> Any:
            solved = values.pop(PLAN_PARAM)
            return await endpoint(**values, **solved)

        run.__wrapped__ = endpoint  # type: ignore[attr-defined]  # error messages name the endpoint
        solver = Dependant(
            call=self.solve, name=PLAN_PARAM, request_param_name="request", path=self.dependant.path
        )
        return dataclasses.replace(self.dependant, dependencies=[solver], call=run)


def _effective(route: APIRoute) -> Any:
    """The route as included: FastAPI ≥ 0.16x builds an included route's handler with its include
    context (prefix, router-level dependencies…) set in a context variable; older versions copy the
    route at inclusion, so the route is itself. ``None`` when FastAPI has include contexts that this
    module cannot see: the route is then left to FastAPI, lest a router-level dependency be missed
    (test_routing checks that router-level dependencies run)."""
    context_var = getattr(fastapi.routing, "_effective_route_context_var", None)
    if context_var is None:
        return None if hasattr(fastapi.routing, "_EffectiveRouteContext") else route
    context = context_var.get()
    if context is not None and getattr(context, "original_route", None) is route:
        return context
    return route


def _returns_response(endpoint: Any) -> bool:
    """Whether the endpoint is declared to answer a ``Response`` (its response model then only
    documents the answer: FastAPI neither validates nor serialises a returned ``Response``)."""
    try:
        answer = typing.get_type_hints(endpoint).get("return")
    except (NameError, TypeError):  # hints it cannot resolve: not known to answer a Response
        return False
    return isinstance(answer, type) and issubclass(answer, Response)


def _is_json(content_type: str | None) -> bool:
    """FastAPI's rule: ``application/json`` or ``application/*+json``, parameters aside."""
    if not content_type:
        return False
    kind = content_type.partition(";")[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


class FastHandler:
    """A route's request handler for the common case, FastAPI's otherwise.

    The common case: a body that is one pydantic model read from JSON (or no body), parameters
    that validate, a planned dependency tree, an endpoint declared to answer a ``Response`` (its
    ``response_model`` documents it), or one without a response model. The body is validated
    from its bytes by pydantic-core (``model_validate_json``: no ``json.loads`` first, no FastAPI
    field wrapper), the parameters with FastAPI's own function, then the plan runs and the endpoint. Anything else — no body or one that
    is not JSON, a body or a parameter that does not validate, a body size limit, dependency
    overrides — goes to FastAPI's handler, which answers it as always (its 422 names the fields).
    """

    def __init__(self, route: Any, dependant: Dependant, plan: DependencyPlan, fallback: Handler) -> None:
        self.endpoint = dependant.call
        self.plan, self.fallback = plan, fallback
        self.params = [
            (fields, source)
            for fields, source in (
                (dependant.path_params, "path_params"),
                (dependant.query_params, "query_params"),
                (dependant.header_params, "headers"),
                (dependant.cookie_params, "cookies"),
            )
            if fields
        ]
        self.request_names = [
            n for n in (dependant.request_param_name, dependant.http_connection_param_name) if n
        ]
        self.status_code = route.status_code
        self.response_model = route.response_field is not None
        self.body: tuple[str, type[BaseModel]] | None = None
        if dependant.body_params:
            field = dependant.body_params[0]
            self.body = (field.name, field.field_info.annotation)  # type: ignore[assignment]

    @classmethod
    def of(cls, route: Any, dependant: Dependant, plan: DependencyPlan, fallback: Handler) -> Handler:
        """The fast handler when the route is of the common case, ``fallback`` otherwise."""
        body = dependant.body_params
        simple_body = not body or (
            len(body) == 1
            and isinstance(body[0].field_info.annotation, type)
            and issubclass(body[0].field_info.annotation, BaseModel)
            and not body[0].field_info.metadata
            and not getattr(body[0].field_info, "embed", False)
            and not isinstance(body[0].field_info, Form)
        )
        common = (
            simple_body
            and (route.response_field is None or _returns_response(dependant.call))
            and isinstance(route.response_class, DefaultPlaceholder)
            and not getattr(route, "is_json_stream", False)
            and not getattr(route, "stream_item_field", None)
            and not _takes_special_params(dependant)
        )
        return cls(route, dependant, plan, fallback).handle if common else fallback

    async def handle(self, request: Request) -> Response:
        if BODY_LIMIT_KEY in request.scope or self.plan.overridden:
            return await self.fallback(request)
        values: dict[str, Any] = {}
        if self.body is not None:
            raw = await request.body()
            if not raw or not _is_json(request.headers.get("content-type")):
                return await self.fallback(request)
            name, model = self.body
            try:
                values[name] = model.model_validate_json(raw)
            except ValidationError:
                return await self.fallback(request)  # FastAPI's 422, as always
        for fields, source in self.params:
            found, errors = request_params_to_args(fields, getattr(request, source))
            if errors:
                return await self.fallback(request)
            values.update(found)
        values.update(await self.plan.solve(request))
        for name in self.request_names:
            values[name] = request
        answer = await self.endpoint(**values)  # type: ignore[misc]
        if isinstance(answer, Response):
            return answer
        if self.response_model:  # only routes declaring ``-> Response`` get here with a response model
            raise TypeError(f"{self.endpoint!r} is declared to return a Response, not {type(answer)}")
        response = JSONResponse(
            jsonable_encoder(answer), **({"status_code": self.status_code} if self.status_code else {})
        )
        if not is_body_allowed_for_status_code(response.status_code):
            response.body = b""
        return response


class CampusRoute(APIRoute):
    """An ``APIRoute`` whose dependency tree is resolved by a ``DependencyPlan`` when it can be.

    ``dependency_plans``: the plans its handlers use (one per inclusion; none: FastAPI resolves);
    ``fast_handled``: for each, whether ``FastHandler`` takes the route's requests.
    """

    dependency_plans: list[DependencyPlan]
    fast_handled: list[bool]

    def get_route_handler(self) -> Handler:
        return _text_checked(self._route_handler())

    def _route_handler(self) -> Handler:
        target = _effective(self)
        if target is None:
            return super().get_route_handler()
        original: Dependant = target.dependant
        plan = DependencyPlan.of(original) if inspect.iscoroutinefunction(original.call) else None
        if plan is None:
            return super().get_route_handler()
        plan.overrides_provider = target.dependency_overrides_provider
        target.dependant = plan.planned()
        try:
            handler = super().get_route_handler()
        finally:
            target.dependant = original
        fast = FastHandler.of(target, original, plan, handler)
        self.__dict__.setdefault("dependency_plans", []).append(plan)  # for tests and diagnosis
        self.__dict__.setdefault("fast_handled", []).append(fast is not handler)
        return fast


_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def _text_checked(handler: Handler) -> Handler:
    """``handler`` behind the kit's body rules, for every route, whichever handler answers it
    (after the route's auth: errors.py), before any state is looked at: a JSON body with a NUL,
    an unpaired surrogate, a control character or a blank string is a 422 naming each field
    (``body.text_errors``); a body sent as anything but JSON (``text/plain``, a form, no
    Content-Type at all) is a 415 that says so — it was a 422 about the fields' types (FastAPI's
    strict content type), or taken as JSON where the route parses its own body. Starlette keeps the
    body read, for the handler."""

    async def checked(request: Request) -> Response:
        if request.method in _WITH_BODY:
            content_type = request.headers.get("content-type")
            raw = await request.body()
            if _is_json(content_type):
                if raw and (errors := text_errors(raw)):
                    raise RequestValidationError(errors)
            elif raw:
                kind = (content_type or "").partition(";")[0].strip()
                sent = f"is sent as {kind}" if kind else "has no Content-Type"
                raise HTTPException(415, f"the body {sent}: send it as application/json")
        return await handler(request)

    return checked
