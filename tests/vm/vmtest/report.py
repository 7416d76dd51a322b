"""One line per check, and the closing `N passed, N failed` line."""

import sys
import time


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.scenario = ""
        self.prefix = ""  # the kernel of this boot, for the matrix (harness.py)
        self.timings = []

    def begin(self, scenario):
        self.scenario = self.prefix + scenario
        self._t0 = time.monotonic()

    def end(self):
        self.timings.append((self.scenario, time.monotonic() - self._t0))

    def check(self, name, ok, detail=""):
        """Record one check; `detail` is printed only when it fails."""
        if ok:
            self.passed += 1
            line = f"ok   [{self.scenario}] {name}"
        else:
            self.failed += 1
            line = f"FAIL [{self.scenario}] {name}"
            if detail:
                line += f": {' '.join(str(detail).split())[:400]}"
        print(line, flush=True)
        return bool(ok)

    def note(self, text):
        """Information that is not a check (a measured time, a kernel finding)."""
        print(f"     [{self.scenario}] {text}", flush=True)

    def summary(self):
        for name, secs in self.timings:
            print(f"time: {name} {secs:.1f} s", file=sys.stderr)
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
