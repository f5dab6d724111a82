"""Progress of long stages: Keras' live bar on a terminal, one line with the count and rate elsewhere.

Every keras_vq function that can take more than a few seconds (encoding a
split's codes, `reconstruction_report`, `bits_per_dim`, the linear probe,
sampling and generation) takes `verbose`, as Keras' `predict` does:
"auto" (the default) or 1 shows the stage, 0 or False is silent. On a
terminal the stage is Keras' own `Progbar`; in a log (not a terminal) it is
one line when the stage ends, so logs stay readable. Example:

    progress = Progress("encoding cifar10 test", total=20, unit="batch")
    for batch in batches:
        ...
        progress.advance()
    progress.done()   # "encoding cifar10 test: 20/20 batches in 3.1 s (6.5 batches/s)" in a log
"""

import sys
import time

import keras

__all__ = ["Progress", "report_stage"]


def plural(unit):
    return unit + ("es" if unit.endswith(("s", "x", "ch", "sh")) else "s")


def live_display():
    """Whether stdout is a terminal (a live bar is readable there, not in a log file)."""
    return hasattr(sys.stdout, "isatty") and sys.stdout.isatty()


class Progress:
    """One stage of `total` units (see the module docstring).

    Example:
        ```python
        from keras_vq.utils.progress import Progress

        progress = Progress("encoding the test split", 3, "batch", verbose=1)
        for _ in range(3):
            progress.advance()
        progress.done()  # a bar on a terminal; one line with the count and the rate in a log
        ```
    """

    def __init__(self, description, total, unit="step", verbose="auto"):
        if verbose not in ("auto", 0, 1, 2, True, False):
            raise ValueError(f"verbose must be 'auto', 0, 1 or 2; got {verbose!r}")
        self.description, self.total, self.unit = description, total, unit
        self.shown = bool(verbose)
        self.count = 0
        self.started = time.perf_counter()
        self.bar = None
        if self.shown and live_display():
            print(description, flush=True)
            self.bar = keras.utils.Progbar(total, unit_name=unit)

    def advance(self, count=1):
        """Records `count` more units done (and moves the bar, on a terminal).

        Example:
            ```python
            from keras_vq.utils.progress import Progress

            progress = Progress("reading", 10, "file", verbose=1)
            progress.advance(4)  # four files read
            progress.advance(6)
            progress.done()
            ```
        """
        self.count += count
        if self.bar is not None:
            self.bar.update(self.count)

    def done(self):
        """Ends the stage: the bar completes, or the stage's line is printed.

        Example:
            ```python
            from keras_vq.utils.progress import Progress

            progress = Progress("encoding", 2, "batch", verbose=1)
            progress.advance(2)
            progress.done()  # ends the bar; in a log, prints the one line with the count and the rate
            ```
        """
        if self.shown and self.bar is None:
            seconds = time.perf_counter() - self.started
            rate = f" ({self.count / seconds:,.1f} {plural(self.unit)}/s)" if seconds > 0 else ""
            print(
                f"{self.description}: {self.count:,}/{self.total:,} {plural(self.unit)} in {seconds:.1f} s{rate}",
                flush=True,
            )
        elif self.bar is not None and self.count < self.total:
            self.bar.update(self.total, finalize=True)


def report_stage(description, count, unit, seconds, verbose="auto"):
    """One line for a stage that runs as one compiled call (sampling, generation): what, how many, how fast.

    Example:
        ```python
        from keras_vq.utils.progress import report_stage

        report_stage("sampling 16 images", 16 * 64, "code", 0.5, verbose=1)  # one line: what, how many, how fast
        ```
    """
    if verbose:
        print(
            f"{description}: {count:,} {plural(unit)} in {seconds:.1f} s "
            f"({count / max(seconds, 1e-9):,.1f} {plural(unit)}/s)",
            flush=True,
        )
