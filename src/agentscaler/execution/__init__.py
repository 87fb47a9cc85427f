"""Where the heavy stages run: local processes (default) or a Ray cluster.

A stage cuts its records into shards (:mod:`.shards`), hands a module-level function and one
picklable payload per shard to an :class:`~.base.Executor`, and receives each shard's result in
the parent process as it finishes. :func:`make_executor` builds the executor an
:class:`~.config.ExecutionConfig` names.
"""

from agentscaler.execution.base import Executor, ShardFailure, ShardJob
from agentscaler.execution.config import ExecutionConfig
from agentscaler.execution.factory import make_executor

__all__ = ["ExecutionConfig", "Executor", "ShardFailure", "ShardJob", "make_executor"]
