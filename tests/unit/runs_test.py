"""keras_vq.runs (a recipe's run folder) and keras_vq.utils.atomic (writes a kill cannot tear)."""

import json
import math
import os
import pathlib
import shlex

import pytest

from keras_vq import runs
from keras_vq.utils import atomic
from tests.passes import RECIPE_PLUMBING

pytestmark = RECIPE_PLUMBING

ARGUMENTS = {"model": "vqvae", "steps": 10, "batch_size": 4, "resume": False, "train_only": False}


def test_a_new_run_records_its_arguments_and_an_existing_one_needs_resume(tmp_path):
    run_dir = runs.start_run(tmp_path / "run", ARGUMENTS, resume=False)
    recorded = json.loads((run_dir / runs.RUN_FILE).read_text())
    assert recorded["arguments"] == ARGUMENTS
    with pytest.raises(runs.RunError, match="holds a run; pass --resume to continue it"):
        runs.start_run(run_dir, ARGUMENTS, resume=False)
    assert runs.start_run(run_dir, ARGUMENTS | {"resume": True}, resume=True) == run_dir


def test_resuming_with_other_arguments_is_refused_naming_every_difference(tmp_path):
    run_dir = runs.start_run(tmp_path / "run", ARGUMENTS, resume=False)
    changed = ARGUMENTS | {"model": "vae", "batch_size": 8, "resume": True}
    with pytest.raises(
        runs.RunError, match=r"Differs: --batch-size 8 \(the run has 4\); --model 'vae' \(the run has 'vqvae'\)"
    ):
        runs.start_run(run_dir, changed, resume=True)
    # Arguments that only decide where this invocation stops may change.
    runs.start_run(
        run_dir, ARGUMENTS | {"resume": True, "train_only": True}, resume=True, may_change=("resume", "train_only")
    )
    with pytest.raises(runs.RunError, match=r"--train-only True \(the run has False\)"):
        runs.start_run(run_dir, ARGUMENTS | {"resume": True, "train_only": True}, resume=True)


@pytest.mark.parametrize("started, resumed", [({}, {"data_parallel": True}), ({"data_parallel": True}, {})])
def test_an_argument_only_one_side_has_is_a_difference(tmp_path, started, resumed):
    """A run started without --data-parallel and resumed with it is refused naming it; and the reverse."""
    run_dir = runs.start_run(tmp_path / "run", ARGUMENTS | started, resume=False)
    with pytest.raises(runs.RunError, match=r"Differs: --data-parallel "):
        runs.start_run(run_dir, ARGUMENTS | resumed | {"resume": True}, resume=True)


def test_atomic_writes_flush_the_file_then_rename_then_flush_the_folder(tmp_path, monkeypatch):
    """The order that makes a rename durable (a kill cannot show it: the page cache survives a kill)."""
    calls = []
    real_fsync, real_replace = atomic._fsync, atomic.os.replace
    monkeypatch.setattr(atomic, "_fsync", lambda path: (calls.append(("fsync", pathlib.Path(path))), real_fsync(path)))
    monkeypatch.setattr(
        atomic.os,
        "replace",
        lambda source, destination: (
            calls.append(("replace", pathlib.Path(source), pathlib.Path(destination))),
            real_replace(source, destination),
        ),
    )
    target = tmp_path / "results.json"
    atomic.write_text_atomically(target, "{}")
    (temporary,) = {call[1] for call in calls if call[0] == "replace"}
    assert calls == [("fsync", temporary), ("replace", temporary, target), ("fsync", tmp_path)]

    calls.clear()
    source, destination = tmp_path / "new", tmp_path / "preset"
    for folder in (source, destination):
        folder.mkdir()
        (folder / "config.json").write_text(folder.name)
    atomic.replace_directory(source, destination)
    replaces = [index for index, call in enumerate(calls) if call[0] == "replace"]
    assert calls[0] == ("fsync", source / "config.json")  # the files, before any rename
    assert calls[replaces[-1]] == ("replace", source, destination)
    assert calls[replaces[-1] + 1 :] == [("fsync", tmp_path)]  # the folder, after the last rename
    assert (destination / "config.json").read_text() == "new"


def test_a_training_recipe_resumes_with_another_learning_rate_and_records_each_change(tmp_path):
    arguments = ARGUMENTS | {"learning_rate": 1e-3}
    run_dir = runs.start_run(tmp_path / "run", arguments, resume=False)
    with pytest.raises(runs.RunError, match=r"--learning-rate 0.0003 \(the run has 0.001\)"):
        runs.start_run(run_dir, arguments | {"resume": True, "learning_rate": 3e-4}, resume=True)
    for learning_rate in (3e-4, 3e-4, 1e-4):  # The same rate again is no change.
        runs.start_run(
            run_dir,
            arguments | {"resume": True, "learning_rate": learning_rate},
            resume=True,
            may_change=runs.TRAINING_MAY_CHANGE,
        )
    recorded = json.loads((run_dir / runs.RUN_FILE).read_text())
    assert recorded["arguments"] == arguments
    assert recorded["resumed_with"] == [{"learning_rate": 3e-4}, {"learning_rate": 1e-4}]
    with pytest.raises(runs.RunError, match=r"--batch-size 8 \(the run has 4\)"):
        runs.start_run(
            run_dir, arguments | {"resume": True, "batch_size": 8}, resume=True, may_change=runs.TRAINING_MAY_CHANGE
        )


def test_a_file_or_a_foreign_non_empty_folder_is_refused_as_output_dir(tmp_path):
    (tmp_path / "file").write_text("mine")
    with pytest.raises(runs.RunError, match=r"--output-dir .*file is a file, not a folder"):
        runs.start_run(tmp_path / "file", ARGUMENTS, resume=False)
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "notes.txt").write_text("mine")
    with pytest.raises(runs.RunError, match=r"is not empty and holds no keras_vq run"):
        runs.start_run(tmp_path / "folder", ARGUMENTS, resume=True)
    assert (tmp_path / "folder" / "notes.txt").read_text() == "mine" and (tmp_path / "file").read_text() == "mine"


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"steps": 0}, r"--steps must be >= 1, got 0"),
        ({"learning_rate": -1e-3}, r"--learning-rate must be a finite number > 0, got -0.001"),
        ({"learning_rate": math.nan}, r"--learning-rate must be a finite number > 0, got nan"),
        ({"learning_rate": 0.0}, r"--learning-rate must be a finite number > 0, got 0.0"),
        ({"learning_rate": math.inf}, r"--learning-rate must be a finite number > 0, got inf"),
        (
            {"data_dir": "/nonexistent/data"},
            r"--data-dir /nonexistent/data is not a folder: pass the folder holding the data$",
        ),
        ({"data_dir": "/nonexistent/data", "download": False}, r"or pass --download to fetch it there"),
        ({"dtype_policy": "mixed_bogus"}, r"--dtype-policy 'mixed_bogus' is not a floating-point Keras dtype policy"),
        ({"dtype_policy": "int32"}, r"--dtype-policy 'int32' is not a floating-point Keras dtype policy"),
        ({"seed": -1}, r"--seed must be an integer in \[0, 2\*\*32\), got -1"),
        ({"seed": 2**40}, r"--seed must be an integer in \[0, 2\*\*32\), got 1099511627776"),
    ],
)
def test_bad_recipe_arguments_are_named(arguments, message):
    values = {"steps": 5, "learning_rate": 1e-3} | arguments
    with pytest.raises(runs.RunError, match=message):
        runs.check_arguments(values, positive_ints=("steps",), positive_numbers=("learning_rate",))


def test_results_with_nan_or_inf_are_refused_by_name_and_nothing_is_written(tmp_path):
    with pytest.raises(FloatingPointError, match=r"results hold NaN or infinite figures \(test.mse, curve\[1\]\)"):
        runs.write_results(tmp_path, {"test": {"mse": math.nan, "psnr": 20.0}, "curve": [1.0, math.inf]})
    assert list(tmp_path.iterdir()) == []
    runs.write_results(tmp_path, {"test": {"mse": 0.01}})
    assert json.loads((tmp_path / runs.RESULTS_FILE).read_text()) == {"test": {"mse": 0.01}}


def test_an_atomic_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "model.weights.h5"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic.atomic_path(path) as temporary:
            assert temporary.name.endswith(".weights.h5") and temporary.parent == tmp_path
            temporary.write_bytes(b"half")
            raise RuntimeError("killed while writing")
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["model.weights.h5"]
    with atomic.atomic_path(path) as temporary:
        temporary.write_bytes(b"new")
    assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["model.weights.h5"]


def test_replacing_a_directory_swaps_it_whole(tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "a").write_text("old")
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "b").write_text("new")
    atomic.replace_directory(tmp_path / "new", tmp_path / "old")
    assert sorted(os.listdir(tmp_path)) == ["old"] and os.listdir(tmp_path / "old") == ["b"]


def test_temporaries_are_removed_only_from_a_run_being_resumed_never_from_a_users_folder(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.tmp-1.txt").write_text("mine")
    (mine / "data.csv").write_text("mine")
    with pytest.raises(runs.RunError, match="is not empty and holds no keras_vq run"):
        runs.start_run(mine, ARGUMENTS, resume=True)
    assert sorted(os.listdir(mine)) == ["data.csv", "notes.tmp-1.txt"]
    run_dir = runs.start_run(tmp_path / "run", ARGUMENTS, resume=False)
    (run_dir / "results.tmp-0a1b2c3d.json").write_text("{half")  # Left by a kill.
    with pytest.raises(runs.RunError, match="holds a run"):
        runs.start_run(run_dir, ARGUMENTS, resume=False)
    assert (run_dir / "results.tmp-0a1b2c3d.json").exists()
    runs.start_run(run_dir, ARGUMENTS | {"resume": True}, resume=True)
    assert sorted(os.listdir(run_dir)) == [runs.RUN_FILE, runs.LOCK_FILE]


RECIPES = (
    "quickstart",
    "cifar10_vqvae",
    "cifar10_prior",
    "cifar10_samples",
    "kaokore_vqvae2",
    "librispeech_vqvae",
    "librispeech_listen",
    "compare_autoencoders",
)


@pytest.mark.parametrize("recipe", RECIPES)
def test_every_recipe_option_has_help_showing_its_default(recipe, monkeypatch, capsys):
    import importlib
    import re
    import sys

    module = importlib.import_module(f"keras_vq.recipes.{recipe}")
    monkeypatch.setattr(sys, "argv", [recipe, "--help"])
    with pytest.raises(SystemExit) as exit:
        module.parse_arguments()
    assert exit.value.code == 0
    options = capsys.readouterr().out.split("\noptions:\n")[1]
    blocks = re.split(r"\n(?=  -)", options.strip("\n"))
    assert len(blocks) >= 6
    for block in (" ".join(block.split()) for block in blocks):
        if not block.startswith("-h"):
            assert "(default: " in block, f"{recipe}: an option without its default in --help: {block}"


@pytest.mark.parametrize("dataset, fetch", [("librispeech", True), ("cifar10", True), ("kaokore", True)])
def test_a_missing_data_folder_is_one_line_naming_the_recipe_flags(dataset, fetch, tmp_path, capsys):
    for data_dir in (tmp_path / "missing", tmp_path):  # Not a folder; a folder without the data.
        parser = runs.RecipeParser("A recipe.", output_dir=tmp_path / "run", dataset=dataset)
        with pytest.raises(SystemExit) as exit:
            parser.parse(["--data-dir", str(data_dir)])
        assert exit.value.code == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and error.split(": error: ")[1].startswith("--data-dir "), error
        assert str(data_dir) in error and ("--download" in error) == fetch, error
    assert not (tmp_path / "run").exists()  # Nothing was started.


def test_resume_alone_continues_a_run_with_its_own_arguments_and_a_given_one_must_match(tmp_path):
    def parser():
        recipe = runs.RecipeParser("A recipe.", output_dir=tmp_path / "run")
        recipe.add_training_options(steps=1000, batch_size=32, learning_rate=3e-4)
        recipe.add_argument("--model", choices=["vqvae", "vae"], default="vqvae", help="what to train")
        recipe.add_argument("--train-only", action="store_true", help="stop after training")
        return recipe

    may_change = (*runs.TRAINING_MAY_CHANGE, "train_only")
    parser().parse(
        ["--steps", "10", "--model", "vae", "--seed", "3", "--learning-rate", "1e-3", "--train-only"],
        may_change=may_change,
    )
    resumed = parser().parse(["--resume"], may_change=may_change)
    assert (resumed.steps, resumed.model, resumed.seed, resumed.learning_rate) == (10, "vae", 3, 1e-3)
    assert resumed.train_only is False  # Decides this invocation only: not inherited.
    lowered = parser().parse(["--resume", "--learning-rate", "1e-4"], may_change=may_change)
    assert lowered.learning_rate == 1e-4
    assert parser().parse(["--resume"], may_change=may_change).learning_rate == 1e-4  # The last one it went on with.
    with pytest.raises(SystemExit):
        parser().parse(["--resume", "--steps", "20"], may_change=may_change)  # Named: --steps 20 (the run has 10).


def test_download_is_never_a_difference_that_refuses_a_resume(tmp_path):
    parser = runs.RecipeParser("A recipe.", output_dir=tmp_path / "run")
    parser.add_argument("--download", action="store_true", help="fetch the data")
    parser.parse(["--download"])
    assert parser.parse(["--resume"]).resume


def test_librispeech_recipe_refuses_residual_codes_for_its_prior_before_training(tmp_path, monkeypatch, capsys):
    import pathlib
    import sys

    from keras_vq.recipes import librispeech_vqvae

    speech = pathlib.Path(__file__).parents[1] / "fixtures" / "librispeech"
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "librispeech_vqvae",
            "--data-dir",
            str(speech),
            "--quantizer-stages",
            "2",
            "--output-dir",
            str(tmp_path / "run"),
        ],
    )
    with pytest.raises(SystemExit) as exit:
        librispeech_vqvae.parse_arguments()
    assert exit.value.code == 2
    assert "--quantizer-stages > 1 trains codes the WaveNet prior cannot model" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "recipe",
    ["quickstart", "librispeech_listen", "librispeech_evaluate", "librispeech_phone_probe", "cifar10_samples"],
)
def test_a_recipe_that_is_not_resumable_refuses_another_runs_folder_before_writing(
    recipe, tmp_path, monkeypatch, capsys
):
    import importlib
    import pathlib
    import sys

    module = importlib.import_module(f"keras_vq.recipes.{recipe}")
    fixtures = pathlib.Path(__file__).parents[1] / "fixtures"
    data_dir = {"quickstart": None, "cifar10_samples": fixtures / "cifar10"}.get(recipe, fixtures / "librispeech")
    data = ["--data-dir", str(data_dir)] if data_dir else []
    run_dir = runs.start_run(tmp_path / "cifar10", ARGUMENTS, resume=False)  # Another recipe's run ...
    atomic.write_json_atomically(run_dir / runs.RESULTS_FILE, {"test": {"mse": 0.004}})  # ... and its figures.
    before = sorted(path.name for path in run_dir.iterdir())
    for extra in ([], ["--overwrite"]):  # --overwrite replaces a recipe's own results, never another run's.
        monkeypatch.setattr(sys, "argv", [recipe, *data, "--output-dir", str(run_dir), *extra])
        with pytest.raises(SystemExit) as exit:
            module.parse_arguments()
        assert exit.value.code == 2
        assert f"{run_dir} holds a training run (run.json)" in capsys.readouterr().err
    assert sorted(path.name for path in run_dir.iterdir()) == before


def test_a_second_process_is_refused_a_run_folder_while_the_first_works_in_it(tmp_path):
    import sys

    from tests import recipe_processes

    run_dir = runs.start_run(tmp_path / "run", ARGUMENTS, resume=False)  # This process now holds the folder.
    runs.start_run(run_dir, ARGUMENTS | {"resume": True}, resume=True)  # Itself, again: allowed.
    (run_dir / "epoch-2.weights.tmp-0a1b2c3d.h5").write_bytes(b"being written")
    second = tmp_path / "second.py"  # A process of its own, forked from the preloaded server (no imports to wait for).
    second.write_text(
        f"from keras_vq import runs; runs.start_run({str(run_dir)!r}, {ARGUMENTS | {'resume': True}!r}, resume=True)"
    )
    result = recipe_processes.run([sys.executable, str(second)], timeout=120)
    assert result.returncode == 1
    assert f"RunError: {run_dir} is in use by process {os.getpid()}" in result.stderr, result.stderr
    assert (run_dir / "epoch-2.weights.tmp-0a1b2c3d.h5").exists()  # The first's write in progress is untouched.


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc, where no folder can be made")
@pytest.mark.parametrize("recipe", ["cifar10_vqvae", "quickstart"])
def test_an_output_dir_that_cannot_be_written_is_named_before_any_work(recipe, tmp_path, monkeypatch, capsys):
    import importlib
    import sys

    from tests import data_helpers

    module = importlib.import_module(f"keras_vq.recipes.{recipe}")
    data = ["--data-dir", str(data_helpers.FIXTURES), "--batch-size", "4"] if recipe != "quickstart" else []
    monkeypatch.setattr(sys, "argv", [recipe, *data, "--output-dir", "/proc/keras_vq_run"])
    with pytest.raises(SystemExit) as exit:
        module.parse_arguments()
    assert exit.value.code == 2
    assert "--output-dir /proc/keras_vq_run cannot be written: No such file or directory" in capsys.readouterr().err
    # A writable one is left as it was: the folders made to try are removed again.
    runs.check_writable(tmp_path / "a" / "b")
    assert list(tmp_path.iterdir()) == []


def test_a_moved_run_or_a_folder_spelt_another_way_resumes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    arguments = ARGUMENTS | {"data_dir": "data", "output_dir": "run"}
    runs.start_run("run", arguments, resume=False)
    respelt = arguments | {"resume": True, "data_dir": str(tmp_path / "x" / ".." / "data")}
    runs.start_run(tmp_path / "run", respelt | {"output_dir": str(tmp_path / "run")}, resume=True)
    os.rename(tmp_path / "run", tmp_path / "moved")  # The run folder itself, moved: still the same run.
    runs.start_run(tmp_path / "moved", respelt | {"output_dir": str(tmp_path / "moved")}, resume=True)
    (tmp_path / "other").mkdir()
    with pytest.raises(runs.RunError, match=r"--data-dir '.*other' \(the run has 'data'\)"):
        runs.start_run(
            tmp_path / "moved",
            respelt | {"data_dir": str(tmp_path / "other"), "output_dir": str(tmp_path / "moved")},
            resume=True,
        )


def test_a_full_disk_ends_a_recipe_with_one_line_naming_the_file_and_how_to_go_on():
    import errno

    def main():
        raise OSError(errno.ENOSPC, "No space left on device", "runs/x/backup/epoch-3.weights.tmp-0a1b2c3d.h5")

    with pytest.raises(
        SystemExit,
        match=r"^error: the disk is full writing runs/x/backup/epoch-3.weights.tmp-0a1b2c3d"
        r".h5 \(No space left on device\); free some space and run the same command "
        r"with --resume",
    ):
        runs.run_recipe(main)

    def other():
        raise PermissionError(errno.EACCES, "Permission denied", "x")

    with pytest.raises(PermissionError):  # Other errors are not dressed up as a full disk.
        runs.run_recipe(other)


@pytest.mark.parametrize("recipe", ["cifar10_vqvae", "compare_quantizers", "compare_autoencoders"])
def test_a_batch_larger_than_the_training_split_is_named_before_the_run_starts(recipe, monkeypatch, capsys, tmp_path):
    """Issue 29, defect 15: `--batch-size` larger than the split failed at the first step, after run.json was
    written, and the corrected command was then refused as a different run."""
    import importlib

    from tests import data_helpers

    module = importlib.import_module(f"keras_vq.recipes.{recipe}")
    monkeypatch.setattr(
        "sys.argv",
        [recipe, "--data-dir", str(data_helpers.FIXTURES), "--batch-size", "19", "--output-dir", str(tmp_path / "run")],
    )
    with pytest.raises(SystemExit) as exit:
        module.parse_arguments()
    assert exit.value.code == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith(
            "error: --batch-size 19 is larger than cifar10 train[:90%], which holds 18 examples: training keeps whole "
            "batches only"
        )
    )
    assert not (tmp_path / "run").exists()
    monkeypatch.setattr(
        "sys.argv",
        [recipe, "--data-dir", str(data_helpers.FIXTURES), "--batch-size", "18", "--output-dir", str(tmp_path / "run")],
    )
    assert module.parse_arguments().batch_size == 18


def test_a_command_line_gives_back_the_arguments_it_was_made_from(tmp_path):
    from keras_vq.recipes import cifar10_prior, cifar10_vqvae
    from tests.data_helpers import FIXTURES  # holds a small CIFAR-10

    given = {
        cifar10_vqvae: ["--num-embeddings", "1024", "--learning-rate-schedule", "cosine", "--kmeans-init"],
        cifar10_prior: ["--prior", "transformer", "--prior-arguments", '{"dim": 64, "name": "a b"}', "--steps", "7"],
    }
    for recipe, options in given.items():
        where = ["--output-dir", str(tmp_path / recipe.__name__), "--data-dir", str(FIXTURES)]
        parser = recipe.recipe_parser()
        arguments = parser.parse([*options, *where], start=False)
        command = parser.command_line(recipe.__name__, arguments)
        words = shlex.split(command)
        assert words[:3] == ["python", "-m", recipe.__name__]
        assert sorted(words[3:]) == sorted(options), command  # Only what differs from the defaults, quoted.
        again = recipe.recipe_parser().parse([*words[3:], *where], start=False)
        assert vars(again) == vars(arguments)
    defaults = cifar10_vqvae.recipe_parser().parse(["--data-dir", str(FIXTURES)], start=False)
    assert cifar10_vqvae.recipe_parser().command_line("m", defaults) == "python -m m"
