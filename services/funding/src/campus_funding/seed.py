"""Development seed (``campus.seed`` entry point): the real FTAP envelope of FACTS.md.

2 M€ for projects costing 20,000 € to 300,000 €, co-funded up to 50 %. Sent through the HTTP API
with a fixed ``Idempotency-Key``, so running the seed again changes nothing.
"""

from __future__ import annotations

from typing import Any

FTAP_ENVELOPE = {
    "name": "Guichet FTAP Campus du numérique",
    "year": 2025,
    "amount_cents": 200_000_000,
    "min_project_cents": 2_000_000,
    "max_project_cents": 30_000_000,
    "max_rate": 0.5,
}
SEED_KEY = "seed-ftap-envelope"


def seed(ctx: Any) -> None:
    """Open the FTAP envelope (``ctx`` is the dev runner's SeedContext: ``client``, ``urls``, ``headers``)."""
    response = ctx.client.post(
        ctx.urls["funding"] + "/v1/envelopes",
        json=FTAP_ENVELOPE,
        headers={**ctx.headers("funding_committee"), "Idempotency-Key": SEED_KEY},
    )
    if response.status_code != 201:
        raise RuntimeError(f"funding seed: {response.status_code} {response.text}")
