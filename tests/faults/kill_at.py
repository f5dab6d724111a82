"""Runs a recipe and kills it with SIGKILL at a chosen point, as a crash or an impatient user would.

    python tests/faults/kill_at.py POINT N recipes/some_recipe.py [recipe arguments]

POINT is one of
    before-rename  the N-th atomic rename (keras_vq.utils.atomic), its temporary file whole, before it takes its place
    after-rename   just after the N-th atomic rename
    torn-write     the N-th file of an atomic write (a temporary file, or one in a temporary preset folder),
                   cut to half its bytes (a write interrupted), then killed
    training-step  after the N-th training batch is drawn
or "none" (run the recipe as it is). The process kills itself with SIGKILL: no handler, `finally` or
atexit runs, exactly as with `kill -9`. Only this launcher patches keras_vq; the recipe is unchanged.
"""

import os
import runpy
import signal
import sys

POINTS = ("before-rename", "after-rename", "torn-write", "training-step", "none")


def die():
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def install(point, count):
    import keras_vq.training
    import keras_vq.utils.atomic

    calls = {"n": 0}

    def reached():
        calls["n"] += 1
        return calls["n"] == count

    if point in ("before-rename", "after-rename"):
        real_os = keras_vq.utils.atomic.os

        class RenameKillingOs:
            def __getattr__(self, name):
                return getattr(real_os, name)

            def replace(self, source, destination):
                if point == "before-rename" and reached():
                    die()
                real_os.replace(source, destination)
                if point == "after-rename" and reached():
                    die()

        keras_vq.utils.atomic.os = RenameKillingOs()
    elif point == "torn-write":
        real_fsync = keras_vq.utils.atomic._fsync

        def tearing_fsync(path):
            if keras_vq.utils.atomic.TEMPORARY_MARKER in str(path) and os.path.isfile(path) and reached():
                with open(path, "r+b") as file:
                    file.truncate(os.path.getsize(path) // 2)
                die()
            real_fsync(path)

        keras_vq.utils.atomic._fsync = tearing_fsync
    elif point == "training-step":
        real_fit_resumably = keras_vq.training.fit_resumably

        def dying_fit_resumably(model, stream_from, *args, **kwargs):
            def dying_stream(step):
                for batch in stream_from(step):
                    if reached():
                        die()
                    yield batch

            return real_fit_resumably(model, dying_stream, *args, **kwargs)

        keras_vq.training.fit_resumably = dying_fit_resumably


def main():
    point, count, recipe, *arguments = sys.argv[1:]
    if point not in POINTS:
        raise SystemExit(f"POINT must be one of {POINTS}, got {point!r}")
    if point != "none":
        install(point, int(count))
    sys.argv = [recipe, *arguments]
    runpy.run_path(recipe, run_name="__main__")


if __name__ == "__main__":
    main()
