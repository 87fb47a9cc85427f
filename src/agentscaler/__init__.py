"""agentscaler: tool catalogs -> simulated, database-backed, verifiable worlds -> verified
multi-turn function-calling data and RL environments."""

__version__ = "0.1.0"
