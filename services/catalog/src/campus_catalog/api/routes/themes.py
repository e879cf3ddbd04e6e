"""The nine expertise families with their sub-themes and how many published courses each has."""

from __future__ import annotations

from fastapi import APIRouter

from campus_service.deps import PoolDep
from campus_service.routing import CampusRoute

from ... import queries
from ...domain.themes import SUB_THEMES, THEME_LABELS
from ...schemas import SubThemeOut, ThemeOut

router = APIRouter(route_class=CampusRoute, prefix="/v1", tags=["themes"])


@router.get("/themes", response_model=list[ThemeOut])
async def list_themes(pool: PoolDep) -> list[ThemeOut]:
    themes, subs = await queries.theme_counts(pool)
    return [
        ThemeOut(
            slug=theme.value,
            label=label,
            course_count=themes.get(theme.value, 0),
            sub_themes=[
                SubThemeOut(slug=s, label=sl, course_count=subs.get(s, 0))
                for s, sl in SUB_THEMES[theme].items()
            ],
        )
        for theme, label in THEME_LABELS.items()
    ]
