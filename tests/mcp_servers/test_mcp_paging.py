"""Pagination: capped by default, next_offset until the end, an explicit no_data."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mcp_servers.paging import DEFAULT_LIMIT, MAX_LIMIT, PageRequest, paginate


def test_default_page_is_capped() -> None:
    page = paginate(list(range(1200)), PageRequest())
    assert len(page.items) == DEFAULT_LIMIT == 50
    assert page.fields() == {"status": "ok", "total": 1200, "offset": 0, "next_offset": 50}


def test_walk_to_the_last_page() -> None:
    items = list(range(1200))
    seen: list[int] = []
    offset: int | None = 0
    while offset is not None:
        page = paginate(items, PageRequest(limit=MAX_LIMIT, offset=offset))
        seen.extend(page.items)
        offset = page.next_offset
    assert seen == items


def test_empty_is_no_data_not_error() -> None:
    page = paginate([], PageRequest())
    assert page.fields() == {"status": "no_data", "total": 0, "offset": 0, "next_offset": None}


def test_offset_past_the_end_is_ok_and_empty() -> None:
    page = paginate([1, 2, 3], PageRequest(offset=10))
    assert page.items == [] and page.status == "ok" and page.next_offset is None


@pytest.mark.parametrize("limit", [0, MAX_LIMIT + 1])
def test_limit_bounds(limit: int) -> None:
    with pytest.raises(ValidationError):
        PageRequest(limit=limit)
