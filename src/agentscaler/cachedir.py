"""Where agentscaler keeps files that outlive a run folder (the one place for that default).

``$AGENTSCALER_CACHE_DIR`` when set, else ``agentscaler`` under the XDG cache folder
(``$XDG_CACHE_HOME``, default ``~/.cache``). Everything in it can be deleted at any time: it is
rebuilt on demand.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    explicit = os.environ.get("AGENTSCALER_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "agentscaler"
