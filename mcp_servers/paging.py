"""Pagination shared by every list tool: capped by default, never thousands of rows unasked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Limit",
    "Offset",
    "Page",
    "PageRequest",
    "Paged",
    "ResultStatus",
    "paginate",
]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500

T = TypeVar("T")

Limit = Annotated[
    int,
    Field(
        ge=1,
        le=MAX_LIMIT,
        description=f"Maximum number of items to return (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}).",
    ),
]
Offset = Annotated[int, Field(ge=0, description="Number of items to skip; pass the previous next_offset.")]

ResultStatus = Literal["ok", "no_data"]


class PageRequest(BaseModel):
    """Which slice of a result a caller asked for."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Maximum number of items.")
    offset: int = Field(0, ge=0, description="Items skipped before the first returned.")


class Paged(BaseModel):
    """Fields every paginated result carries next to its items."""

    status: ResultStatus = Field(
        description="'ok' when items were found; 'no_data' when nothing matched (not an error)."
    )
    total: int = Field(description="Number of items matching the query, across all pages.")
    offset: int = Field(description="Offset of the first returned item.")
    next_offset: int | None = Field(description="Offset of the next page, or null when this is the last page.")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One slice of a backend's result, as backends return it (servers wrap it in a Paged model)."""

    items: list[T]
    total: int
    offset: int
    limit: int

    @property
    def next_offset(self) -> int | None:
        """Offset of the next page, or None on the last page."""
        end = self.offset + self.limit
        return end if end < self.total else None

    @property
    def status(self) -> ResultStatus:
        """'no_data' when nothing matched at all."""
        return "ok" if self.total else "no_data"

    def fields(self) -> dict[str, Any]:
        """The Paged fields of this page, to build a result model."""
        return {"status": self.status, "total": self.total, "offset": self.offset, "next_offset": self.next_offset}


def paginate(items: Sequence[T], page: PageRequest) -> Page[T]:
    """Slice an in-memory result; backends whose API paginates natively build a Page themselves."""
    return Page(
        items=list(items[page.offset : page.offset + page.limit]),
        total=len(items),
        offset=page.offset,
        limit=page.limit,
    )
