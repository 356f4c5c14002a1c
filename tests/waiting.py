"""Waiting in tests for what services do asynchronously, with a deadline that fails the test."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 60.0) -> T:
    """The first truthy result of `check`, polled every quarter second; AssertionError after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if result := await check():
            return result
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout:g} s")
        await asyncio.sleep(0.25)


async def count_is(collection, count: int) -> bool:
    return await collection.count_documents({}) == count
