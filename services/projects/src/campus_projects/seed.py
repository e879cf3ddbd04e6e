"""Demo data for ``make run``: the FACTS.md example of an accompanied project.

The Prime Minister's public-investment service (SGPI) wanted its agents, of uneven digital skills,
to understand and use generative AI; the Campus planned a half-day on the service's own processes.
Opened through the HTTP API like any project. A fixed manager id and Idempotency-Key make a second
run replay the first answer instead of opening another project.
"""

from __future__ import annotations

import uuid
from typing import Any

DEMO_MANAGER = uuid.UUID("00000000-0000-4000-8000-00000005a1e0")  # demo: an SGPI manager
IDEMPOTENCY_KEY = "seed-projects-sgpi-ia-generative"
PROJECT = {
    "title": "Comprendre et utiliser l'IA générative dans nos métiers (démo)",
    "service": "Secrétariat général pour l'investissement (SGPI)",
    "team_size": 30,
    "agent_profiles": [{"profile": "agents aux compétences numériques inégales", "count": 30}],
    "expectations": (
        "Comprendre l'IA générative et l'utiliser dans le travail quotidien : une demi-journée "
        "pratiquant une IA générative sur les processus métier du service (données de démonstration)."
    ),
}


def seed(ctx: Any) -> None:
    headers = {
        **ctx.headers("manager", ministry="sgpi", sub=DEMO_MANAGER),
        "Idempotency-Key": IDEMPOTENCY_KEY,
    }
    response = ctx.client.post(f"{ctx.urls['projects']}/v1/projects", json=PROJECT, headers=headers)
    response.raise_for_status()
