"""The paper's experiments (section V) on a private user-space Open vSwitch testbed, as
functions the notebooks under ``notebooks/`` and the scripts under ``bench/`` call:

- :mod:`experiments.throughput`: RX throughput at Receiver and Monitor (Fig. 8);
- :mod:`experiments.ids`: an IDS at Receiver and at Monitor under replayed attacks (Fig. 9);
- :mod:`experiments.params`: scale from environment variables.

Every function starts and stops what it needs; nothing outlives a call.
"""
