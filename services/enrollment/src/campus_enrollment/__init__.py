"""Campus enrollment.

Agents' enrolments, seats and waitlists, completions, attestations and ratings.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("campus-enrollment")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
