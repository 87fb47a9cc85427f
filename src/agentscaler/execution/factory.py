"""The executor an :class:`ExecutionConfig` names."""

from __future__ import annotations

from agentscaler.execution.base import Executor
from agentscaler.execution.config import ExecutionConfig


def make_executor(config: ExecutionConfig | None = None) -> Executor:
    config = config or ExecutionConfig()
    if config.executor == "ray":
        from agentscaler.execution.ray import RayExecutor

        return RayExecutor(config.ray_address, max_retries=config.max_retries)
    from agentscaler.execution.local import LocalExecutor

    return LocalExecutor(config.local_workers())
