"""The rules' clock: frozen time and ISO parsing."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from ztscan.rules.clock import age_days, frozen, now, parse_time


def test_frozen_pins_now():
    with frozen("2026-01-01T00:00:00+00:00"):
        assert now() == datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_frozen_restores_previous():
    with frozen("2026-01-01T00:00:00+00:00"):
        with frozen("2025-01-01T00:00:00+00:00"):
            pass
        assert now().year == 2026


def test_now_unfrozen_is_aware():
    assert now().tzinfo is not None


def test_frozen_rejects_naive_datetime():
    with pytest.raises(ValueError, match="timezone-aware"):
        with frozen(datetime(2026, 1, 1)):
            pass


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("2026-01-31T12:00:00+00:00", datetime(2026, 1, 31, 12, tzinfo=timezone.utc), id="offset"),
    pytest.param("2026-01-31T12:00:00Z", datetime(2026, 1, 31, 12, tzinfo=timezone.utc), id="zulu"),
    pytest.param("2026-01-31T12:00:00", datetime(2026, 1, 31, 12, tzinfo=timezone.utc), id="naive-is-utc"),
])
def test_parse_time(text, expected):
    assert parse_time(text) == expected


def test_parse_time_rejects_garbage():
    with pytest.raises(ValueError, match="'yesterday'"):
        parse_time("yesterday")


def test_age_days():
    with frozen("2026-01-11T00:00:00+00:00"):
        assert age_days("2026-01-01T00:00:00+00:00") == 10


def test_frozen_time_stays_in_its_thread():
    import threading

    seen = []
    with frozen("2020-01-01T00:00:00+00:00"):
        worker = threading.Thread(target=lambda: seen.append(now()))
        worker.start()
        worker.join()
        assert now().year == 2020
    assert seen[0].year != 2020
