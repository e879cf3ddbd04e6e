"""The event contracts: one pydantic model per event type and version, in a registry.

A contract model holds only the event's ``data``; the envelope carries the rest.
Models are tolerant readers (unknown fields are ignored) and frozen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

CONTEXTS = ("catalog", "enrollment", "projects", "funding", "trainers")
PUBLIC = "public"


class CampusEvent(BaseModel):
    """Base of every event contract.

    Subclasses set ``context`` and ``aggregate`` (the subject's ``<aggregate>`` token) and
    ``public`` (scope ``public`` instead of the owning ministry's code). The event type is
    the class name unless ``event_type`` is set; ``version`` starts at 1.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    context: ClassVar[str]
    aggregate: ClassVar[str]
    public: ClassVar[bool] = False
    event_type: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def type_name(cls) -> str:
        return cls.__dict__.get("event_type") or cls.__name__

    @classmethod
    def cloudevents_type(cls) -> str:
        return f"fr.gouv.campus.{cls.context}.{cls.type_name()}.v{cls.version}"

    @classmethod
    def schema_name(cls) -> str:
        return f"{cls.type_name()}.v{cls.version}"

    @classmethod
    def stream_name(cls) -> str:
        return stream_for_context(cls.context)


E = TypeVar("E", bound=type[CampusEvent])
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownEventError(LookupError):
    """No contract is registered for this (type, version)."""


class Registry:
    """Contracts keyed by ``(type, version)``, with upcasters ``vN -> vN+1``.

    >>> registry = Registry()
    >>> @registry.register
    ... class Pinged(CampusEvent):
    ...     context = "catalog"
    ...     aggregate = "course"
    ...     n: int
    >>> registry.decode("Pinged", 1, {"n": 3})
    Pinged(n=3)
    """

    def __init__(self) -> None:
        self._models: dict[tuple[str, int], type[CampusEvent]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, model: E) -> E:
        key = (model.type_name(), model.version)
        if key in self._models and self._models[key] is not model:
            raise ValueError(f"event {key} is registered twice")
        if model.context not in CONTEXTS:
            raise ValueError(f"{model.__name__}: unknown context {model.context!r}")
        self._models[key] = model
        return model

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register a function that turns ``from_version`` data into ``from_version + 1`` data."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = fn
            return fn

        return decorate

    def model(self, event_type: str, version: int) -> type[CampusEvent]:
        try:
            return self._models[(event_type, version)]
        except KeyError:
            raise UnknownEventError(f"no contract for {event_type} v{version}") from None

    def latest_version(self, event_type: str) -> int:
        versions = [v for (t, v) in self._models if t == event_type]
        if not versions:
            raise UnknownEventError(f"no contract for {event_type}")
        return max(versions)

    def versions(self, event_type: str) -> list[int]:
        """The registered versions of ``event_type``, oldest first (empty if unknown)."""
        return sorted(v for (t, v) in self._models if t == event_type)

    def has_upcaster(self, event_type: str, from_version: int) -> bool:
        return (event_type, from_version) in self._upcasters

    def decode(self, event_type: str, version: int, data: dict[str, Any]) -> CampusEvent:
        """Validate ``data`` as the newest known version of the event, upcasting as needed."""
        self.model(event_type, version)  # unknown type or version: fail before upcasting
        while (event_type, version) in self._upcasters and (event_type, version + 1) in self._models:
            data = self._upcasters[(event_type, version)](dict(data))
            version += 1
        return self.model(event_type, version).model_validate(data)

    def __iter__(self) -> Iterator[type[CampusEvent]]:
        return iter(sorted(self._models.values(), key=lambda m: (m.context, m.type_name(), m.version)))

    def __len__(self) -> int:
        return len(self._models)

    def by_context(self, context: str) -> list[type[CampusEvent]]:
        return [m for m in self if m.context == context]


def stream_for_context(context: str) -> str:
    return f"CAMPUS_{context.upper()}"


registry = Registry()
"""The Campus contract registry; ``campus_events.contracts`` fills it on import."""
