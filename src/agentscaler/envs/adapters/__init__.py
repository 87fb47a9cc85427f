"""Thin adapters of the task environment for RL frameworks (each an optional extra):

* :mod:`.skyrl`: a SkyRL-gym ``BaseTextEnv`` (``pip install 'agentscaler[skyrl]'``);
* :mod:`.gem`: a GEM ``Env`` (``pip install 'agentscaler[gem]'``);
* :mod:`.verifiers`: a verifiers v1 taskset and environment (``pip install
  'agentscaler[verifiers]'``).

Each one plays the same core environment (:mod:`agentscaler.envs.core`): the same observations,
the same simulated user, the same reward. :mod:`.text` renders what the environment says back
to a text-only policy.
"""
