"""The projects service's HTTP API: one router per resource under ``/v1`` (``api.routes.ROUTERS``).

Nothing is imported here, so that ``projections`` → ``views`` → ``api.schemas`` does not pull the
routes (and through them the handlers, which need ``views``) in the middle of that import.
"""
