"""The verifiers plugin of agentscaler: the taskset id ``agentscaler-verifiers`` names this
package, which exports the taskset and its environment (see
:mod:`agentscaler.envs.adapters.verifiers`)."""

from agentscaler.envs.adapters.verifiers import AgentscalerEnv, AgentscalerTaskset

__all__ = ["AgentscalerEnv", "AgentscalerTaskset"]
