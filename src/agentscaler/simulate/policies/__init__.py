"""Agent and user policies: offline (oracle agent, scripted user) and LLM-backed."""

from agentscaler.simulate.policies.base import Agent, EpisodeContext, PolicyReply, User, is_stop
from agentscaler.simulate.policies.llm_agent import LLMAgent
from agentscaler.simulate.policies.llm_user import LLMUser
from agentscaler.simulate.policies.oracle_agent import OracleAgent, oracle_reply
from agentscaler.simulate.policies.scripted_user import ScriptedUser, scripted_user_reply

__all__ = [
    "Agent",
    "EpisodeContext",
    "LLMAgent",
    "LLMUser",
    "OracleAgent",
    "PolicyReply",
    "ScriptedUser",
    "User",
    "is_stop",
    "oracle_reply",
    "scripted_user_reply",
]
