"""A recipe's command line and run folder: its options, what it was started with, when it may be resumed, and its results.

`RecipeParser` is every recipe's command line: each option's help shows its
default, the data options (`--data-dir`, `--download`) and run options
(`--output-dir`, `--seed`, `--resume`) are the same in every recipe, and
`parse()` checks every argument and starts (or resumes) the run before
anything is read, ending a bad one with a one-line error that names the flag.

`start_run(output_dir, arguments, resume)` is called once a recipe has
checked its arguments and before it writes anything else. A new run records
its arguments in `run.json`. An existing run is continued only with
`resume=True` and the same arguments (those in `may_change` aside), so that
resuming a VQ-VAE run as a VAE, or with another batch size, is refused with
the differences named instead of mixing two runs' work. `write_results`
refuses NaN and infinite figures, so a run that diverged never reports
success. Every file is written atomically (`keras_vq.utils.atomic`).
"""

import argparse
import errno
import json
import math
import os
import pathlib
import shlex
import tempfile

import keras

from keras_vq.utils.atomic import TEMPORARY_MARKER, remove_temporaries, write_json_atomically, write_text_atomically
from keras_vq.utils.checks import check_seed

__all__ = [
    "RecipeParser",
    "run_recipe",
    "start_run",
    "write_results",
    "refuse_to_replace_results",
    "comma_separated_choices",
    "RunError",
    "MAY_CHANGE",
    "TRAINING_MAY_CHANGE",
]

RUN_FILE = "run.json"
RESULTS_FILE = "results.json"
# Held (an advisory lock) by the process working in a run folder, from `start_run` until it exits.
LOCK_FILE = "run.lock"
_held_locks = {}
# What any resumed run may be given anew: neither changes what it computes.
MAY_CHANGE = ("resume", "download")
# A recipe training one model may also be resumed with another learning rate (e.g. a lower one after it diverged,
# from its last good checkpoint); `run.json` records each change under "resumed_with".
TRAINING_MAY_CHANGE = (*MAY_CHANGE, "learning_rate")
RECORDED_CHANGES = ("learning_rate",)


class RunError(ValueError):
    """A run folder cannot be started or resumed with these arguments.

    Example:
        ```python
        import keras_vq

        keras_vq.runs.start_run("runs/example", {"steps": 10, "resume": False}, resume=False)
        try:
            keras_vq.runs.start_run("runs/example", {"steps": 20, "resume": True}, resume=True)
        except keras_vq.runs.RunError as error:
            print(error)  # names --steps: the run was started with 10
        ```
    """


def _argument_values(arguments):
    """A recipe's arguments as a dict (from argparse's namespace or a dict), paths as strings."""
    values = vars(arguments) if hasattr(arguments, "__dict__") else arguments
    return {key: str(value) if isinstance(value, pathlib.PurePath) else value for key, value in values.items()}


def start_run(output_dir, arguments, resume, may_change=("resume",)):
    """Creates or reopens the run in `output_dir`; returns its path.

    Args:
        output_dir: the run's folder.
        arguments: the recipe's arguments (a dict, or argparse's namespace).
        resume: continue an existing run; without it, an existing run is refused.
        may_change: arguments a resumed run may be given anew (e.g.
            `train_only`, which only decides where this invocation stops;
            `TRAINING_MAY_CHANGE` for a recipe training one model). A new
            `learning_rate` is recorded in `run.json`'s "resumed_with".

    Example:
        ```python
        import keras_vq

        run_dir = keras_vq.runs.start_run("runs/example", {"steps": 10, "resume": False}, resume=False)
        print(sorted(path.name for path in run_dir.iterdir()))  # ['run.json']: the arguments, for --resume
        keras_vq.runs.start_run("runs/example", {"steps": 10, "resume": True}, resume=True)  # the same run, resumed
        ```
    """
    output_dir = pathlib.Path(output_dir)
    arguments = _argument_values(arguments)
    if output_dir.exists() and not output_dir.is_dir():
        raise RunError(f"--output-dir {output_dir} is a file, not a folder")
    check_writable(output_dir)
    run_file = output_dir / RUN_FILE
    if run_file.exists():
        if not resume:
            raise RunError(f"{output_dir} holds a run; pass --resume to continue it, or choose another --output-dir")
        try:
            run = json.loads(run_file.read_text())
            recorded = run["arguments"]
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise RunError(f"{run_file} is not a keras_vq run record ({error}); choose another --output-dir") from error
        differences = [
            f"--{key.replace('_', '-')} {arguments.get(key)!r} (the run has {recorded.get(key)!r})"
            for key in sorted(set(recorded) | set(arguments))
            if key not in may_change
            and key != "output_dir"
            and not _same_argument(key, recorded.get(key), arguments.get(key))
        ]
        if differences:
            raise RunError(
                f"{output_dir} was started with other arguments; resume it with the same ones, or choose "
                f"another --output-dir. Differs: {'; '.join(differences)}"
            )
        _lock(output_dir)  # Before removing temporaries: another process's writes in progress would go.
        remove_temporaries(output_dir)  # What writes the last invocation's kill interrupted left.
        changes = {
            key: arguments.get(key)
            for key in RECORDED_CHANGES
            if key in may_change and key in recorded and arguments.get(key) != _current(run, key)
        }
        if changes:
            run["resumed_with"] = [*run.get("resumed_with", []), changes]
            write_json_atomically(run_file, run)
        return output_dir
    if output_dir.exists() and any(
        TEMPORARY_MARKER not in path.name and path.name != LOCK_FILE for path in output_dir.iterdir()
    ):
        raise RunError(f"{output_dir} is not empty and holds no keras_vq run ({RUN_FILE}); choose another --output-dir")
    output_dir.mkdir(parents=True, exist_ok=True)
    _lock(output_dir)
    remove_temporaries(output_dir)  # A run killed while writing its run.json left only its temporary.
    write_json_atomically(run_file, {"arguments": arguments, "keras_backend": keras.backend.backend()})
    return output_dir


def _same_argument(key, recorded, given):
    """Whether a resumed run's argument is the one it was started with: folders (`*_dir`) compared as
    the folders they name, however spelt (relative or absolute, `a/../b`)."""
    if key.endswith("_dir") and isinstance(recorded, str) and isinstance(given, str):
        return pathlib.Path(recorded).resolve() == pathlib.Path(given).resolve()
    return recorded == given


def check_writable(output_dir):
    """RunError naming `--output-dir` unless a file can be created in it (the folder is made to try, and
    what this made is removed again): an unwritable or impossible folder (`/proc/x`) is named before
    any work, not met as a traceback at the first write."""
    output_dir = pathlib.Path(output_dir)
    made = [folder for folder in (output_dir, *output_dir.parents) if not folder.exists()]
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=output_dir):
            pass
    except OSError as error:
        raise RunError(f"--output-dir {output_dir} cannot be written: {error.strerror or error}") from None
    finally:
        for folder in made:  # Deepest first.
            try:
                folder.rmdir()
            except OSError:
                pass


def _lock(output_dir):
    """Holds an advisory lock on `output_dir`'s `LOCK_FILE` until this process exits (the kernel releases
    it however the process ends: no stale lock after a kill). A second process is refused by name while
    the first works there: resuming would delete the first's temporary checkpoint under it. Where there
    is no `fcntl` (Windows), nothing is locked."""
    try:
        import fcntl
    except ImportError:
        return
    handle = open(output_dir / LOCK_FILE, "a+")
    key = (os.fstat(handle.fileno()).st_dev, os.fstat(handle.fileno()).st_ino)  # The file, wherever it was moved.
    if key in _held_locks:  # This process holds it already.
        handle.close()
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise RunError(
            f"{output_dir} is in use by {holder} (it holds {output_dir / LOCK_FILE}); wait for it to "
            "end, or choose another --output-dir"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"process {os.getpid()}")
    handle.flush()
    _held_locks[key] = handle


def _current(run, key):
    """The value of argument `key` the run last went on with: its last change on resume, or its first."""
    for changes in reversed(run.get("resumed_with", [])):
        if key in changes:
            return changes[key]
    return run["arguments"][key]


def non_finite_entries(value, where=""):
    """The paths (e.g. `test.mse`) of every NaN or infinite number in a nested dict/list."""
    if isinstance(value, dict):
        return [entry for key, item in value.items() for entry in non_finite_entries(item, f"{where}.{key}".strip("."))]
    if isinstance(value, (list, tuple)):
        return [entry for index, item in enumerate(value) for entry in non_finite_entries(item, f"{where}[{index}]")]
    if isinstance(value, float) and not math.isfinite(value):
        return [where or "the value"]
    return []


def write_results(output_dir, results):
    """Writes `results` as `results.json`, atomically; refuses NaN or infinite figures by name.

    Example:
        ```python
        import json
        import pathlib

        import keras_vq

        keras_vq.runs.write_results("runs/example", {"test": {"mse": 0.0037}})
        print(json.loads(pathlib.Path("runs/example/results.json").read_text()))
        try:
            keras_vq.runs.write_results("runs/example", {"test": {"mse": float("nan")}})
        except FloatingPointError as error:
            print(error)  # results hold NaN or infinite figures (test.mse); not written
        ```
    """
    bad = non_finite_entries(results)
    if bad:
        raise FloatingPointError(f"results hold NaN or infinite figures ({', '.join(bad)}); not written")
    write_text_atomically(pathlib.Path(output_dir) / RESULTS_FILE, json.dumps(results, indent=2) + "\n")


def refuse_to_replace_results(output_dir, overwrite):
    """RunError unless `output_dir` can take a new `results.json`: it is a folder (or absent) that holds
    no resumable recipe's run (`run.json`: never, `overwrite` or not) and no `results.json`, or
    `overwrite` says to replace it (`--overwrite`). For recipes that are not resumable.

    Example:
        ```python
        import keras_vq

        keras_vq.runs.write_results("runs/example", {"test": {"mse": 0.0037}})
        try:
            keras_vq.runs.refuse_to_replace_results("runs/example", overwrite=False)
        except keras_vq.runs.RunError as error:
            print(error)  # runs/example holds results.json; pass --overwrite to replace it or ...
        ```
    """
    output_dir = pathlib.Path(output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise RunError(f"--output-dir {output_dir} is a file, not a folder")
    check_writable(output_dir)
    if (output_dir / RUN_FILE).exists():
        raise RunError(
            f"{output_dir} holds a training run ({RUN_FILE}), whose results and pictures this would "
            "replace; choose another --output-dir"
        )
    if (output_dir / RESULTS_FILE).exists() and not overwrite:
        raise RunError(
            f"{output_dir} holds {RESULTS_FILE}; pass --overwrite to replace it or choose another --output-dir"
        )


def check_arguments(arguments, positive_ints=(), positive_numbers=(), dataset=None):
    """Raises RunError naming the first bad recipe argument, before anything is read or written.

    Checks that `positive_ints` are integers >= 1 and `positive_numbers`
    finite numbers > 0; and, where the recipe has them, that `dtype_policy` is
    one Keras knows and that `data_dir` is a folder holding `dataset` (unless
    `download` will fetch it), naming `--data-dir` and `--download`.
    """
    values = _argument_values(arguments)

    def flag(name):
        return "--" + name.replace("_", "-")

    for name in positive_ints:
        if values[name] < 1:
            raise RunError(f"{flag(name)} must be >= 1, got {values[name]}")
    for name in positive_numbers:
        if not 0 < values[name] < math.inf:
            raise RunError(f"{flag(name)} must be a finite number > 0, got {values[name]}")
    if "seed" in values:
        try:
            check_seed("--seed", values["seed"])
        except ValueError as error:
            raise RunError(str(error)) from None
    if "dtype_policy" in values:
        try:
            policy = keras.dtype_policies.get(values["dtype_policy"])
        except (ValueError, TypeError):
            policy = None
        if (
            policy is None
            or not keras.backend.is_float_dtype(policy.compute_dtype)
            or not keras.backend.is_float_dtype(policy.variable_dtype)
        ):
            raise RunError(
                f"--dtype-policy {values['dtype_policy']!r} is not a floating-point Keras dtype policy "
                "(e.g. float32, mixed_bfloat16, mixed_float16)"
            ) from None
    if values.get("data_parallel"):
        from keras_vq.distribute.data_parallel import check_recipe_can_train_data_parallel

        try:
            check_recipe_can_train_data_parallel(values.get("batch_size"))
        except RuntimeError as error:
            raise RunError(f"--data-parallel: {error}") from None
    data_dir = values.get("data_dir")
    if data_dir is None or values.get("download"):
        return
    from keras_vq.data.sources import open_files
    from keras_vq.datasets.bad_data import DataNotFoundError
    from keras_vq.datasets.registry import get_description

    title = "the data" if dataset is None else get_description(dataset).title
    fetch = ", or pass --download to fetch it there" if "download" in values else ""
    if not pathlib.Path(data_dir).is_dir():
        raise RunError(f"--data-dir {data_dir} is not a folder: pass the folder holding {title}{fetch}")
    if dataset is None:
        return
    try:
        open_files(dataset, data_dir)
    except DataNotFoundError as error:
        where = str(error).split(". ")[0]  # What was looked for; the rest tells library users how to download.
        raise RunError(f"--data-dir {data_dir} holds no {title} ({where}): pass the folder holding it{fetch}") from None


def check_training_batch(arguments, dataset, training_split):
    """RunError unless `training_split` of `dataset` in `--data-dir` holds a whole `--batch-size` (the
    training stream keeps whole batches only); nothing to check where `--download` will fetch the data."""
    values = _argument_values(arguments)
    if values.get("download") or values.get("data_dir") is None:
        return
    from keras_vq.data.training_stream import check_whole_batch

    try:
        check_whole_batch(dataset, training_split, values["batch_size"], data_dir=values["data_dir"])
    except ValueError as error:
        raise RunError(str(error).replace("batch_size", "--batch-size", 1)) from None


def comma_separated_choices(option, text, choices):
    """The names in `text` ("a,b"; or a list, as a resumed run records them), each one of `choices`;
    RunError naming `option` for an unknown name or none at all.

    Example:
        ```python
        import keras_vq

        print(keras_vq.runs.comma_separated_choices("--models", "vqvae, vae", ("vae", "vqvae", "vqvae2")))
        ```
    """
    names = [name.strip() for name in (text if isinstance(text, list) else text.split(",")) if name.strip()]
    unknown = [name for name in names if name not in choices]
    if unknown or not names:
        raise RunError(f"{option} {','.join(names)}: unknown {unknown}; choose among {', '.join(choices)}")
    return names


def run_recipe(main):
    """Calls a recipe's `main()`; an error the user can act on (missing or bad
    data, a bad preset, a run that cannot resume, training that diverged) ends
    it with its one-line message and exit status 1 instead of a traceback.

    Example:
        ```python
        import keras_vq

        def main():
            raise keras_vq.runs.RunError("runs/a holds another run's results; pass --output-dir")

        try:
            keras_vq.runs.run_recipe(main)
        except SystemExit as exit:
            print(exit)  # error: runs/a holds another run's results; pass --output-dir
        ```
    """
    from keras_vq.datasets.bad_data import BadFileError, DataNotFoundError
    from keras_vq.presets import PresetError

    try:
        main()
    except (DataNotFoundError, BadFileError, PresetError, RunError, FloatingPointError) as error:
        # FloatingPointError: keras_vq.training.NonFiniteTrainingError, and write_results' refusal.
        raise SystemExit(f"error: {error}") from None
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        # Every checkpoint and result is written atomically: the last complete one is still there.
        where = f" writing {error.filename}" if error.filename else ""
        raise SystemExit(
            f"error: the disk is full{where} ({error.strerror}); free some space and run the same "
            "command with --resume: the last checkpoint is intact"
        ) from None


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The recipe's docstring as written, and every option's default after its help."""


class RecipeParser(argparse.ArgumentParser):
    """A recipe's command line (see the module docstring): `--output-dir`, `--seed`, `--resume`, the
    data options, and one-line errors naming a bad argument before anything is read or written.

    Args:
        description: the recipe's docstring (shown by --help as written).
        output_dir: the default `--output-dir`.
        dataset: the dataset the recipe reads (adds `--data-dir`, defaulting to
            where `keras_vq.data.load` looks, and `--download` where the
            dataset can be fetched); a tuple of names adds `--dataset` to choose
            among them; None for a recipe with no data folder.
        resumable: add `--resume` (continue the run in `--output-dir`).

    Example:
        ```python
        import keras_vq

        parser = keras_vq.runs.RecipeParser("Trains a model.", output_dir="runs/example")
        parser.add_training_options(steps=1000, batch_size=32, learning_rate=3e-4)
        parser.add_argument("--model", choices=["vqvae", "vae"], default="vqvae", help="what to train")
        arguments = parser.parse(["--steps", "10"], positive_ints=("steps", "batch_size"), start=False)
        print(arguments.steps, arguments.model, arguments.output_dir)  # 10 vqvae runs/example
        ```
    """

    def __init__(self, description, output_dir, dataset=None, resumable=True):
        super().__init__(description=description, formatter_class=_HelpFormatter)
        from keras_vq.datasets.registry import get_description

        self.datasets = (dataset,) if isinstance(dataset, str) else tuple(dataset or ())
        self.dataset = dataset if isinstance(dataset, str) else None
        if len(self.datasets) > 1:
            self.add_argument("--dataset", choices=self.datasets, default=self.datasets[0], help="what to train on")
        if self.datasets:
            from keras_vq.data.sources import default_data_dir

            titles = " or ".join(get_description(name).title for name in self.datasets)
            default = default_data_dir(self.dataset) if self.dataset else None
            self.add_argument(
                "--data-dir",
                type=pathlib.Path,
                default=default,
                help=f"the folder holding {titles} (or to download it into, with --download)"
                + ("" if self.dataset else "; None: where keras_vq.data.load looks for --dataset"),
            )
            downloadable = [name for name in self.datasets if can_download(name)]
            if downloadable:
                self.add_argument(
                    "--download",
                    action="store_true",
                    help=f"download what is missing of "
                    f"{' or '.join(get_description(name).title for name in downloadable)} first",
                )
        self.add_argument(
            "--output-dir",
            type=pathlib.Path,
            default=pathlib.Path(output_dir),
            help="the run's folder: checkpoints, figures, results.json",
        )
        self.add_argument("--seed", type=int, default=0, help="seeds the weights, the data order and the crops")
        if resumable:
            self.add_argument(
                "--resume",
                action="store_true",
                help="continue the run in --output-dir (with the arguments it was started with)",
            )

    def add_data_pipeline_option(self):
        """`--data-pipeline`, for a recipe that trains on `keras_vq.data.training_batches`.

        Example:
            ```python
            import keras_vq

            parser = keras_vq.runs.RecipeParser("A recipe.", output_dir="runs/example", resumable=False)
            parser.add_data_pipeline_option()
            print(parser.parse(["--data-pipeline", "numpy"], start=False).data_pipeline)  # numpy
            ```
        """
        self.add_argument(
            "--data-pipeline",
            choices=["auto", "tf.data", "numpy"],
            default="auto",
            help="what feeds training: auto is tf.data when TensorFlow is installed (any backend), "
            "else numpy (keras_vq.data.load_numpy)",
        )

    def add_training_options(
        self, steps, batch_size, learning_rate, steps_per_epoch=500, dtype_policy=True, data_parallel=False
    ):
        """`--steps` (unless `steps` is None), `--batch-size`, `--learning-rate`, `--steps-per-epoch`,
        `--dtype-policy` and, for a recipe that trains inside `keras_vq.distribute.scope`, `--data-parallel`.

        Example:
            ```python
            import keras_vq

            parser = keras_vq.runs.RecipeParser("A recipe.", output_dir="runs/example", resumable=False)
            parser.add_training_options(steps=1000, batch_size=32, learning_rate=3e-4)
            arguments = parser.parse([], start=False)
            print(arguments.steps, arguments.batch_size, arguments.learning_rate, arguments.dtype_policy)
            ```
        """
        if steps is not None:
            self.add_argument("--steps", type=int, default=steps, help="training steps")
        self.add_argument("--batch-size", type=int, default=batch_size, help="examples per training step")
        self.add_argument("--learning-rate", type=float, default=learning_rate, help="Adam's learning rate")
        self.add_argument(
            "--steps-per-epoch",
            type=int,
            default=steps_per_epoch,
            help="training steps between checkpoints (a killed run resumes from the last)",
        )
        if dtype_policy:
            self.add_argument(
                "--dtype-policy",
                default="float32",
                help="e.g. mixed_bfloat16 to train faster; presets are saved in float32 either way",
            )
        if data_parallel:
            self.add_argument(
                "--data-parallel",
                action="store_true",
                help="split each batch over every device (JAX: keras.distribution.DataParallel; "
                "TensorFlow: MirroredStrategy, or MultiWorkerMirroredStrategy under TF_CONFIG); "
                "--batch-size is the global batch",
            )

    def parse(
        self,
        argv=None,
        positive_ints=(),
        positive_numbers=(),
        may_change=MAY_CHANGE,
        check=None,
        start=True,
        training_splits=None,
    ):
        """Parses `argv` (default: the command line), checks every argument
        (`check_arguments`, then `check(arguments)`, which may raise
        `RunError`), starts or resumes the run in `--output-dir` (unless
        `start=False`), and returns the arguments. A bad one ends the program
        with one line naming it. `training_splits` maps a dataset to the split
        the recipe trains on, whose size bounds `--batch-size`.

        Example:
            ```python
            import keras_vq

            parser = keras_vq.runs.RecipeParser("A recipe.", output_dir="runs/example")
            parser.add_training_options(steps=1000, batch_size=32, learning_rate=3e-4)
            try:
                parser.parse(["--steps", "0"], positive_ints=("steps",))
            except SystemExit as exit:
                print("refused with status", exit.code)  # after one line on stderr: --steps must be >= 1, got 0
            ```
        """
        arguments = self.parse_args(argv)
        if getattr(arguments, "resume", False):
            self._fill_from_run(arguments, argv, may_change)
        dataset = getattr(arguments, "dataset", self.dataset)
        try:
            if len(self.datasets) > 1:
                from keras_vq.data.sources import default_data_dir

                if arguments.data_dir is None:
                    arguments.data_dir = default_data_dir(dataset)
                if getattr(arguments, "download", False) and not can_download(dataset):
                    raise RunError(f"--download: {dataset} cannot be downloaded; pass --data-dir with your copy")
            check_arguments(arguments, positive_ints, positive_numbers, dataset=dataset)
            if check is not None:
                check(arguments)
            if training_splits:
                check_training_batch(arguments, dataset, training_splits[dataset])
            if start:
                start_run(arguments.output_dir, arguments, getattr(arguments, "resume", False), may_change=may_change)
        except RunError as error:
            self.exit(2, f"{self.prog}: error: {error}\n")
        return arguments

    def command_line(self, module, arguments):
        """The command that trains what `arguments` trained: `python -m <module>` and every option whose
        value is not its default, in the order `--help` lists them. Options that only say where the run
        lives or how this invocation went (`--output-dir`, `--data-dir`, `--resume`, `--download`) are
        left out. A preset's metadata records it as its `recipe`.

        Example:
            ```python
            import keras_vq

            parser = keras_vq.runs.RecipeParser("A recipe.", output_dir="runs/example")
            parser.add_training_options(steps=1000, batch_size=32, learning_rate=3e-4)
            arguments = parser.parse(["--steps", "30000", "--output-dir", "/tmp/x"], start=False)
            print(parser.command_line("keras_vq.recipes.example", arguments))
            # python -m keras_vq.recipes.example --steps 30000
            ```
        """
        words = ["python", "-m", module]
        for action in self._actions:
            if not action.option_strings or action.dest in ("help", "output_dir", "data_dir", "resume", "download"):
                continue
            value = getattr(arguments, action.dest, action.default)
            if value == action.default:
                continue
            option = action.option_strings[-1]
            if action.nargs == 0:  # a flag (store_true and the like): its presence is its value
                words.append(option)
            else:
                values = value if isinstance(value, (list, tuple)) else [value]
                words += [option, *(json.dumps(item) if isinstance(item, dict) else str(item) for item in values)]
        return shlex.join(words)

    def _given(self, argv):
        """The names of the options `argv` sets itself (not left to their defaults)."""
        defaults = {action: action.default for action in self._actions}
        try:
            for action in self._actions:
                action.default = argparse.SUPPRESS
            return set(vars(self.parse_args(argv)))
        finally:
            for action, default in defaults.items():
                action.default = default

    def _fill_from_run(self, arguments, argv, may_change):
        """A resumed run's arguments not given on the command line become the run's own (its last
        `--learning-rate` included), so `--resume --output-dir DIR` alone continues it. Arguments that only
        decide this invocation (`--train-only`, `--download`) keep their defaults. A missing or unreadable
        run record is left to `start_run` to name."""
        run_file = pathlib.Path(arguments.output_dir) / RUN_FILE
        try:
            run = json.loads(run_file.read_text())
            recorded = run["arguments"]
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
            return
        given = self._given(argv)
        for action in self._actions:
            key = action.dest
            if key in given or key not in recorded or key in ("resume", "output_dir", "help"):
                continue
            if key in may_change and key not in RECORDED_CHANGES:
                continue
            value = _current(run, key)
            setattr(arguments, key, action.type(value) if isinstance(value, str) and action.type else value)


def can_download(dataset):
    """Whether `keras_vq.data.load(dataset, ..., download=True)` can fetch the dataset."""
    from keras_vq.datasets.registry import get_description

    return get_description(dataset).download is not None
