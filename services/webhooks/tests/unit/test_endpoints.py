from __future__ import annotations

import pytest

from campus_webhooks.config import Settings
from campus_webhooks.dispatcher import retry_delay
from campus_webhooks.endpoints import check_url


@pytest.mark.parametrize(
    "url",
    ["https://rh.mefsin.gouv.fr/campus", "https://hooks.example.org:8443/a?b=c", "https://93.184.216.34/x"],
)
def test_https_to_a_public_host_is_accepted_everywhere(url):
    assert check_url(url, development=False) == url
    assert check_url(url, development=True) == url


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000/hook", "http://localhost/hook", "http://[::1]:80/"])
def test_plain_http_to_loopback_only_in_development(url):
    assert check_url(url, development=True) == url
    with pytest.raises(ValueError, match="https"):
        check_url(url, development=False)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://rh.mefsin.gouv.fr/campus", "https"),
        ("ftp://rh.mefsin.gouv.fr/", "https"),
        ("rh.mefsin.gouv.fr/campus", "host"),
        ("https:///nohost", "host"),
        ("https://user:pw@rh.gouv.fr/", "credentials"),
        ("https://rh.gouv.fr:99999/", "URL"),
        ("https://rh.gouv.fr/a b", "spaces"),
        ("https://rh.gouv.fr/#frag", "fragment"),
        ("https://" + "a" * 2050 + ".fr/", "2048"),
    ],
)
def test_refused_urls_say_why(url, reason):
    with pytest.raises(ValueError, match=reason):
        check_url(url, development=True)


@pytest.mark.parametrize(
    "url",
    ["https://10.0.0.5/x", "https://169.254.169.254/latest", "https://127.0.0.1/", "https://[fd00::1]/"],
)
def test_private_addresses_are_refused_outside_development(url):
    with pytest.raises(ValueError, match="public"):
        check_url(url, development=False)


def test_retry_delays_grow_exponentially_with_jitter_and_a_cap():
    settings = Settings(retry_base_seconds=1.0, retry_max_seconds=30.0)
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (60, 30.0)]:
        delays = [retry_delay(settings, attempt) for _ in range(200)]
        assert all(base * 0.5 <= d <= base for d in delays), attempt
        assert max(delays) - min(delays) > base * 0.2  # jittered
