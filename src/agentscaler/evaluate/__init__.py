"""Evaluation: pass^k and friends from run folders or tau-bench result files, plots, HTML report.

Modules:

* :mod:`~agentscaler.evaluate.config` -- the defaults (:class:`EvalConfig`).
* :mod:`~agentscaler.evaluate.trial` -- :class:`Trial`, the one internal form of an episode's outcome.
* :mod:`~agentscaler.evaluate.readers` -- run folders and tau-bench result files -> trials.
* the filter funnel (``filtered/funnel.json``) is read with :mod:`agentscaler.filter.funnel`.
* :mod:`~agentscaler.evaluate.metrics` -- pure metric functions (pass^k, pass@k, rates).
* :mod:`~agentscaler.evaluate.summary` -- every metric of a run in one record (``summary.json``).
* :mod:`~agentscaler.evaluate.plots` -- PNG plots (matplotlib, Agg canvas).
* :mod:`~agentscaler.evaluate.report` -- the static HTML report.
* :mod:`~agentscaler.evaluate.outputs` -- writes all of the above into a report folder.
"""
