"""Campus webhooks.

For administrations that cannot run a NATS client: the events of a ministry's scope (and the
public ones), POSTed as signed CloudEvents to the HTTPS endpoints it registers, retried with
back-off, with a delivery log.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("campus-webhooks")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
