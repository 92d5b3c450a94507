"""One progress helper for every job: a tqdm bar on a terminal, plain periodic lines in a log.

tqdm redraws its bar with carriage returns, which a log file keeps as one ever-growing line (`make demo >
log` wrote a 45 kB one). tqdm has no line mode of its own (its `ascii`, `ncols` and `mininterval` settings
still write `\\r` frames), so when the stream is not a terminal the bar below prints its status as a whole
line at most every `interval` seconds, plus one at the end, and never a carriage return.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Iterable, TextIO

from tqdm import tqdm

LINE_FORMAT = "{desc}: {n_fmt}/{total_fmt} {unit} ({percentage:.0f}%) [{elapsed}<{remaining}, {rate_fmt}{postfix}]"
COUNT_FORMAT = "{desc}: {n_fmt} {unit} [{elapsed}, {rate_fmt}{postfix}]"
LINE_INTERVAL_S = float(os.environ.get("CF_PROGRESS_INTERVAL", "10"))  # seconds between plain lines in a log


class LineProgress(tqdm):
    """tqdm that writes each refresh as its own line (for pipes and files), throttled by mininterval."""

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:  # noqa: ARG002 - tqdm's signature
        text = (msg if msg is not None else self.__str__()).strip()
        if text:
            self.fp.write(text + "\n")
            self.fp.flush()
        return True

    def clear(self, nolock: bool = False) -> None:  # noqa: ARG002 - nothing on screen to clear
        return None

    def close(self) -> None:
        if self.disable:
            return
        if self.last_print_n != self.n:  # the final count, once
            self.display()
        self.disable = True  # tqdm's own close would redraw and end the line with "\n" again
        with self.get_lock():
            self._instances.discard(self)


def progress(iterable: Iterable[Any] | None = None, *, total: float | None = None, desc: str = "", unit: str = "it",
             enabled: bool = True, file: TextIO | None = None, interval: float | None = None, **kwargs: Any) -> tqdm:
    """A tqdm bar on a terminal; on a pipe or file a LineProgress printing a line every `interval` seconds."""
    stream = file if file is not None else sys.stderr
    common = {"total": total, "desc": desc, "unit": unit, "disable": not enabled, "file": stream, **kwargs}
    if stream.isatty():
        return tqdm(iterable, dynamic_ncols=True, **common)
    every = LINE_INTERVAL_S if interval is None else interval
    known = total is not None or (iterable is not None and hasattr(iterable, "__len__"))
    line = (LINE_FORMAT if known else COUNT_FORMAT)
    return LineProgress(iterable, mininterval=every, maxinterval=max(every, 1.0), miniters=1, bar_format=line, **common)
