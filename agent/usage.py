"""Token usage and cost of model calls, summed per investigation."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

__all__ = ["Price", "Usage", "cost_of"]


class Usage(BaseModel):
    """Tokens a model backend spent; cost in US dollars when a price is known."""

    model_config = ConfigDict(extra="forbid")

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost_usd: float = 0.0
    model_calls: int = 0

    @property
    def total_tokens(self) -> int:
        """Every token billed, cached or not: the figure the token budget counts."""
        return self.input_tokens + self.output_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_creation_input_tokens=self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            cache_read_input_tokens=self.cache_read_input_tokens + other.cache_read_input_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 6),
            model_calls=self.model_calls + other.model_calls,
        )


class Price(BaseModel):
    """US dollars per million tokens of each kind."""

    model_config = ConfigDict(extra="forbid")

    input: float
    output: float
    cache_write: float | None = None
    cache_read: float | None = None


def cost_of(usage: Usage, price: Price | Mapping[str, float] | None) -> float:
    """The cost of ``usage`` at ``price``; cache writes default to 1.25x and reads to 0.1x input."""
    if price is None:
        return 0.0
    p = price if isinstance(price, Price) else Price.model_validate(price)
    cache_write = p.cache_write if p.cache_write is not None else p.input * 1.25
    cache_read = p.cache_read if p.cache_read is not None else p.input * 0.1
    dollars = (
        usage.input_tokens * p.input
        + usage.output_tokens * p.output
        + usage.cache_creation_input_tokens * cache_write
        + usage.cache_read_input_tokens * cache_read
    ) / 1_000_000
    return round(dollars, 6)
