"""Wall-clock time per named stage, added up, so runs can say where their time went."""

from __future__ import annotations

import time
from contextlib import contextmanager


class StageTimer:
    """``with timer("hotspots"): ...`` adds the block's seconds to ``timer.times["hotspots"]``."""

    def __init__(self):
        self.times: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - start
