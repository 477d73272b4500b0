"""The ramp: users stepped up (20, 40, ... 100, with think time) in one Locust run.

Loaded beside the locustfile only for the ramp phase (`-f benchmarks/locustfile.py,
benchmarks/ramp.py`): Locust uses a LoadTestShape whenever one is defined, so it must not sit
in the locustfile itself. Settings, from benchmarks/load.py: TADAFUR_BENCH_STEPS ("20,40,60,
80,100") and TADAFUR_BENCH_STEP_SECONDS. Each step keeps its users for the step's duration;
load.py reads every step's throughput and percentiles from the samples' timestamps (the first
seconds of a step, while the new users log in, are left out there).
"""

from __future__ import annotations

import os

from locust import LoadTestShape

STEPS = [int(n) for n in os.environ.get("TADAFUR_BENCH_STEPS", "20,40,60,80,100").split(",")]
STEP_SECONDS = float(os.environ.get("TADAFUR_BENCH_STEP_SECONDS", "30"))
SPAWN_RATE = 10.0  # users per second: a step's new users are all in within a few seconds


class StepShape(LoadTestShape):
    """Step k (from 0) runs STEPS[k] users from k * STEP_SECONDS; then the run stops."""

    def tick(self) -> tuple[int, float] | None:
        step = int(self.get_run_time() // STEP_SECONDS)
        if step >= len(STEPS):
            return None
        return STEPS[step], SPAWN_RATE
