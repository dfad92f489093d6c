"""Progress on stderr for long work (fine-tuning steps, embedding, predicting a long article, suites):
a tqdm bar on a terminal; without one, at most one plain line every `interval` seconds, so logs stay
readable."""

from __future__ import annotations

import sys
import time

NON_TTY_INTERVAL = 5.0


class Progress:
    """`update(n)` as work is done, `close()` at the end (also a context manager)."""

    def __init__(self, total: int, description: str, stream=None, interval: float = NON_TTY_INTERVAL,
                 unit: str = "it"):
        self.total, self.description, self.unit = total, description, unit
        self.stream = stream or sys.stderr
        self.interval = interval
        self.done = 0
        self.started = self.last = time.monotonic()
        self.bar = None
        if getattr(self.stream, "isatty", lambda: False)():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=description, unit=unit, file=self.stream, leave=False)

    def describe(self, description: str) -> None:
        """What is being done now (a suite's current system)."""
        self.description = description
        if self.bar is not None:
            self.bar.set_description(description)

    def update(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self._line()

    def _line(self) -> None:
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        print(f"{self.description}: {self.done}/{self.total} {self.unit}{share}, "
              f"{time.monotonic() - self.started:.0f} s", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.done:
            self._line()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
