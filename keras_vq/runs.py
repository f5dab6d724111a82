"""A recipe's run folder: what it was started with, when it may be resumed, and its results.

`start_run(output_dir, arguments, resume)` is called once a recipe has
checked its arguments and before it writes anything else. A new run records
its arguments in `run.json`. An existing run is continued only with
`resume=True` and the same arguments (those in `may_change` aside), so that
resuming a VQ-VAE run as a VAE, or with another batch size, is refused with
the differences named instead of mixing two runs' work. `write_results`
refuses NaN and infinite figures, so a run that diverged never reports
success. Every file is written atomically (`keras_vq.atomic`).
"""

import json
import math
import pathlib

import keras

from keras_vq.atomic import TEMPORARY_MARKER, remove_temporaries, write_json_atomically, write_text_atomically

RUN_FILE = "run.json"
RESULTS_FILE = "results.json"


class RunError(ValueError):
    """A run folder cannot be started or resumed with these arguments."""


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
            `train_only`, which only decides where this invocation stops).
    """
    output_dir = pathlib.Path(output_dir)
    arguments = _argument_values(arguments)
    if output_dir.exists() and not output_dir.is_dir():
        raise RunError(f"--output-dir {output_dir} is a file, not a folder")
    run_file = output_dir / RUN_FILE
    if run_file.exists():
        if not resume:
            raise RunError(f"{output_dir} holds a run; pass --resume to continue it, or choose another --output-dir")
        try:
            recorded = json.loads(run_file.read_text())["arguments"]
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise RunError(f"{run_file} is not a keras_vq run record ({error}); choose another --output-dir") from error
        differences = [
            f"--{key.replace('_', '-')} {arguments.get(key)!r} (the run has {recorded.get(key)!r})"
            for key in sorted(set(recorded) | set(arguments))
            if key not in may_change and recorded.get(key) != arguments.get(key)
        ]
        if differences:
            raise RunError(f"{output_dir} was started with other arguments; resume it with the same ones, or choose "
                           f"another --output-dir. Differs: {'; '.join(differences)}")
        remove_temporaries(output_dir)  # What writes the last invocation's kill interrupted left.
        return output_dir
    if output_dir.exists() and any(TEMPORARY_MARKER not in path.name for path in output_dir.iterdir()):
        raise RunError(f"{output_dir} is not empty and holds no keras_vq run ({RUN_FILE}); choose another --output-dir")
    remove_temporaries(output_dir)  # A run killed while writing its run.json left only its temporary.
    write_json_atomically(run_file, {"arguments": arguments, "keras_backend": keras.backend.backend()})
    return output_dir


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
    """Writes `results` as `results.json`, atomically; refuses NaN or infinite figures by name."""
    bad = non_finite_entries(results)
    if bad:
        raise FloatingPointError(f"results hold NaN or infinite figures ({', '.join(bad)}); not written")
    write_text_atomically(pathlib.Path(output_dir) / RESULTS_FILE, json.dumps(results, indent=2) + "\n")


def check_arguments(arguments, positive_ints=(), positive_numbers=(), dataset=None):
    """Raises RunError naming the first bad recipe argument, before anything is read or written.

    Checks that `positive_ints` are integers >= 1 and `positive_numbers`
    finite numbers > 0; and, where the recipe has them, that `data_dir` is a
    folder holding `dataset` (unless `download` will fetch it) and that
    `dtype_policy` is one Keras knows.
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
    if "dtype_policy" in values:
        try:
            keras.dtype_policies.get(values["dtype_policy"])
        except (ValueError, TypeError):
            raise RunError(f"--dtype-policy {values['dtype_policy']!r} is not a Keras dtype policy "
                           "(e.g. float32, mixed_bfloat16, mixed_float16)") from None
    data_dir = values.get("data_dir")
    if data_dir is not None and not pathlib.Path(data_dir).is_dir() and not values.get("download"):
        fetch = " or pass --download to fetch it there" if "download" in values else ""
        raise RunError(f"--data-dir {data_dir} is not a folder: pass the folder holding the data{fetch}")
    if data_dir is not None and dataset is not None and not values.get("download"):
        from keras_vq.data.sources import open_files
        from keras_vq.datasets.bad_data import DataNotFoundError

        try:
            open_files(dataset, data_dir)
        except DataNotFoundError as error:
            raise RunError(str(error)) from None


def run_recipe(main):
    """Calls a recipe's `main()`; an error the user can act on (missing or bad
    data, a bad preset, a run that cannot resume, training that diverged) ends
    it with its one-line message and exit status 1 instead of a traceback."""
    from keras_vq.datasets.bad_data import BadFileError, DataNotFoundError
    from keras_vq.presets import PresetError

    try:
        main()
    except (DataNotFoundError, BadFileError, PresetError, RunError, FloatingPointError) as error:
        # FloatingPointError: keras_vq.training.NonFiniteTrainingError, and write_results' refusal.
        raise SystemExit(f"error: {error}") from None
