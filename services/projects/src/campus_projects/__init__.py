"""Campus projects.

Training projects and their pipeline: needs analysis, design, implementation, evaluation.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("campus-projects")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
