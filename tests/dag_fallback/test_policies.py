"""Completion policies, retry backoff, wave plans and the rate limiter, on their own."""

from __future__ import annotations

import random

import pytest
from dagf_helpers import FakeClock

from dag_fallback.completion import CompletionPolicy
from dag_fallback.outcomes import DeviceResult
from dag_fallback.ratelimit import RateLimiter
from dag_fallback.retry import NO_RETRY, RetryPolicy, retry_devices
from dag_fallback.waves import WavePlan, chunk, split_lanes


@pytest.mark.parametrize(
    ("text", "total", "required"),
    [("all", 10, 10), ("first_success", 10, 1), ("80%", 10, 8), ("95%", 800, 760), ("3", 10, 3), ("3 of m", 2, 2)],
)
def test_completion_required(text: str, total: int, required: int) -> None:
    assert CompletionPolicy.parse(text).required(total) == required


def test_completion_impossible_and_early_stop() -> None:
    p = CompletionPolicy.parse("80%")
    assert not p.impossible(succeeded=5, finished=7, total=10)  # 5 + 3 remaining = 8
    assert p.impossible(succeeded=5, finished=8, total=10)
    assert CompletionPolicy.parse("first_success").stop_early(1)
    assert not CompletionPolicy.parse("all").stop_early(10)


def test_completion_parse_names_bad_value() -> None:
    with pytest.raises(ValueError, match="unknown completion policy 'most'"):
        CompletionPolicy.parse("most")
    with pytest.raises(ValueError, match="percent=0"):
        CompletionPolicy.parse("0%")


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    policy = RetryPolicy(max_attempts=5, base_delay_s=1.0, multiplier=2.0, max_delay_s=5.0, jitter=0.5)
    rng = random.Random(1)
    for retry, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0)]:
        delays = [policy.delay(retry, rng) for _ in range(200)]
        assert min(delays) >= ceiling * 0.5 and max(delays) <= ceiling
        assert max(delays) - min(delays) > ceiling * 0.3  # jitter really spreads them


async def test_retry_only_transient_failures_and_only_failed_devices(clock: FakeClock) -> None:
    tries: list[list[str]] = []

    async def attempt(devices, number):
        tries.append(list(devices))
        out = {}
        for d in devices:
            if d == "flaky" and number < 3:
                out[d] = DeviceResult.fail(d, "timeout", "transient")
            elif d == "broken":
                out[d] = DeviceResult.fail(d, "bad credentials", "permanent")
            else:
                out[d] = DeviceResult.ok(d)
        return out

    policy = RetryPolicy(max_attempts=4, base_delay_s=0.5, jitter=0.0)
    results = await retry_devices(["ok", "flaky", "broken"], attempt, policy, clock=clock, rng=random.Random(0))
    assert tries == [["ok", "flaky", "broken"], ["flaky"], ["flaky"]]
    assert results["flaky"].succeeded and results["flaky"].attempts == 3
    assert results["broken"].outcome == "failed" and results["broken"].attempts == 1
    assert clock.slept == [0.5, 1.0]


async def test_retry_gives_up_after_max_attempts_and_when_told_to_stop(clock: FakeClock) -> None:
    async def attempt(devices, number):
        return {d: DeviceResult.fail(d, "timeout", "transient") for d in devices}

    results = await retry_devices(["a"], attempt, RetryPolicy(max_attempts=3), clock=clock, rng=random.Random(0))
    assert results["a"].attempts == 3 and results["a"].transient
    stopped = await retry_devices(
        ["a"], attempt, RetryPolicy(max_attempts=3), clock=clock, rng=random.Random(0), before_retry=lambda: False
    )
    assert stopped["a"].attempts == 1
    once = await retry_devices(["a"], attempt, NO_RETRY, clock=clock, rng=random.Random(0))
    assert once["a"].attempts == 1


def test_waves_canary_then_fixed_size() -> None:
    devices = [f"d{i}" for i in range(10)]
    assert WavePlan(canary=1, wave_size=4).waves(devices) == [["d0"], devices[1:5], devices[5:9], ["d9"]]
    assert WavePlan(canary=1, wave_size=4).count(10) == 4
    assert WavePlan().waves(devices) == [devices]
    assert WavePlan(canary=20).waves(devices) == [devices]
    with pytest.raises(ValueError, match="wave_size=0"):
        WavePlan(wave_size=0)


def test_lanes_are_balanced_and_chunks_bounded() -> None:
    devices = [f"d{i}" for i in range(10)]
    lanes = split_lanes(devices, 3)
    assert [len(x) for x in lanes] == [4, 3, 3] and [d for lane in lanes for d in lane] == devices
    assert split_lanes(devices[:2], 5) == [["d0"], ["d1"]]
    assert [len(c) for c in chunk(devices, 4)] == [4, 4, 2]


async def test_rate_limiter_paces_starts(clock: FakeClock) -> None:
    limiter = RateLimiter(10.0, burst=2, clock=clock)
    start = clock.now()
    for _ in range(12):
        await limiter.acquire()
    # Two from the burst, then ten more at 10/s.
    assert clock.now() - start == pytest.approx(1.0)
