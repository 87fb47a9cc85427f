"""The static HTML report: one ``index.html`` that opens from disk, with no server and no network."""

from agentscaler.evaluate.report.builder import episode_payload, render_html, write_html

__all__ = ["episode_payload", "render_html", "write_html"]
