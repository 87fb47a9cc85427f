"""The run's task environments as servers: ``agentscaler serve RUN --http`` (a JSON session API)
and ``agentscaler serve RUN --mcp`` (an MCP server, streamable HTTP or stdio).

:mod:`.sessions` holds the bounded, expiring, isolated sessions both share; :mod:`.http` and
:mod:`.mcp` the protocols; :mod:`.run` starts them in the foreground or on a background thread.
"""
