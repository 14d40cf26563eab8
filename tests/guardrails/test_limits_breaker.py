"""Rate limits (token buckets) and circuit breakers, driven by an explicit clock."""

from __future__ import annotations

from guardrails.breaker import CircuitBreaker, CircuitBreakers
from guardrails.policy import CircuitBreakerPolicy, RateLimit
from guardrails.ratelimit import RateLimiter


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_over_the_rate_limit_is_refused_then_refills() -> None:
    clock = Clock()
    limiter = RateLimiter([RateLimit(tool="launch_job", per_second=2, burst=3)], clock)
    assert [limiter.take("launch_job", "executor") for _ in range(3)] == [None, None, None]
    key, wait = limiter.take("launch_job", "executor") or ("", 0.0)
    assert key == "tool.launch_job" and abs(wait - 0.5) < 1e-9
    clock.now += 0.5
    assert limiter.take("launch_job", "executor") is None
    assert limiter.take("get_job", "executor") is None  # other tools are not limited


def test_tool_and_backend_limits_take_together_or_not_at_all() -> None:
    clock = Clock()
    limiter = RateLimiter(
        [RateLimit(tool="launch_job", per_second=1, burst=5), RateLimit(backend="executor", per_second=1, burst=1)],
        clock,
    )
    assert limiter.take("launch_job", "executor") is None
    assert limiter.take("get_job", "executor") == ("backend.executor", 1.0)
    hit = limiter.take("launch_job", "executor")
    assert hit is not None and hit[0] == "backend.executor"
    clock.now += 1
    assert limiter.take("launch_job", "executor") is None  # the tool bucket was not drained by refusals
    assert limiter.describe("tool.launch_job") == "1/s, burst 5"


def test_breaker_opens_after_n_failures_in_the_window() -> None:
    clock = Clock()
    breaker = CircuitBreaker(CircuitBreakerPolicy(failures=3, window_seconds=10, open_seconds=5), clock)
    breaker.record(False)
    clock.now += 11  # the first failure leaves the window
    breaker.record(False)
    breaker.record(False)
    assert breaker.state == "closed"
    breaker.record(False)
    assert breaker.state == "open"
    allowed, wait = breaker.allow()
    assert not allowed and wait == 5


def test_half_open_probe_closes_on_success_or_reopens_on_failure() -> None:
    clock = Clock()
    breaker = CircuitBreaker(CircuitBreakerPolicy(failures=1, window_seconds=10, open_seconds=5), clock)
    breaker.record(False)
    clock.now += 5
    assert breaker.state == "half_open"
    assert breaker.allow() == (True, 0.0)  # the probe
    assert breaker.allow()[0] is False  # only one probe at a time
    breaker.record(False)
    assert breaker.state == "open"
    clock.now += 5
    assert breaker.allow() == (True, 0.0)
    breaker.record(True)
    assert breaker.state == "closed"
    assert breaker.allow() == (True, 0.0)


def test_one_breaker_per_backend() -> None:
    breakers = CircuitBreakers(CircuitBreakerPolicy(failures=1), Clock())
    breakers.get("sot").record(False)
    assert breakers.states() == {"sot": "open"}
    assert breakers.get("executor").state == "closed"
