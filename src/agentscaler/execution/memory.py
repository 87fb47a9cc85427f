"""Peak resident memory of a stage: this process plus every process under it.

``resource.getrusage`` gives the peak of this process over its whole life (and of its finished
children), not of one stage, and says nothing of live worker processes. :class:`PeakRss` samples
the resident memory of this process and all its descendants (worker pools, sandboxes, a local
Ray) from a background thread while a stage runs, and keeps the largest sum; ``getrusage``
figures are recorded beside it.
"""

from __future__ import annotations

import logging
import resource
import threading
from types import TracebackType
from typing import Any

log = logging.getLogger(__name__)

MIB = 1024 * 1024


def tree_rss() -> int:
    """Resident bytes of this process and all its descendants (0 when psutil is missing)."""
    try:
        import psutil
    except ImportError:
        return 0
    me = psutil.Process()
    total = 0
    try:
        procs = [me, *me.children(recursive=True)]
    except psutil.Error:
        procs = [me]
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total


def rusage_peaks_mib() -> dict[str, float]:
    """``getrusage`` peaks (KiB on Linux) of this process and of its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"maxrss_self_mib": round(own, 1), "maxrss_children_mib": round(children, 1)}


class PeakRss:
    """``with PeakRss() as peak: ...; peak.mib`` (sampled every ``interval`` seconds)."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        self.peak = max(self.peak, tree_rss())

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakRss:
        self._sample()
        self._thread = threading.Thread(target=self._loop, name="peak-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()

    @property
    def mib(self) -> float:
        return round(self.peak / MIB, 1)

    def to_json(self) -> dict[str, Any]:
        return {"peak_rss_mib": self.mib, **rusage_peaks_mib()}
