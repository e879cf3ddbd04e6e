"""Campus catalog.

Courses, sessions and learning paths; the public catalogue and its French full-text search.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("campus-catalog")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
