"""The shared client for OpenAI-compatible LLM servers (vLLM, SGLang, Ollama, hosted APIs).

Importing this package is cheap: the openai SDK loads when a client first sends a request.
"""

from agentscaler.llm.client import ChatClient, ChatResult
from agentscaler.llm.config import LLMConfig

__all__ = ["ChatClient", "ChatResult", "LLMConfig"]
