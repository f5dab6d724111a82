"""Comparing autoencoders over seeds: training each model and seed resumably, mean ± sd tables, curves over
epochs, learning speed, a verdict.

The KaoKore study (VAE vs VQ-VAE vs VQ-VAE-2) reports final test figures,
losses over epochs and reconstructions across epochs; these functions train
each model and seed (`train_and_measure`) and turn per-seed results into
those outputs. `recipes/compare_autoencoders.py` runs that study with them,
`recipes/compare_quantizers.py` the quantizer comparison. Every figure is
`keras_vq.metrics.reconstruction_report`'s, so every model is measured by one
set of definitions.

- sd is the sample standard deviation over seeds (ddof = 1; 0 for one seed).
- A model's learning speed is the first epoch at which its mean held-out
  MSE over seeds is at or below a stated threshold.
"""

import json
import math
import pathlib

import keras
import numpy as np

from keras_vq import callbacks, metrics, runs, training

__all__ = [
    "train_and_measure",
    "summarize_over_seeds",
    "mean_and_sd",
    "curve_over_seeds",
    "first_epoch_reaching",
    "epochs_to_reach",
    "comparison_table",
    "comparison_verdict",
    "ranking_verdict",
    "study_budget",
    "budget_sentence",
    "scaled_snapshot_epochs",
]

# The study's snapshot epochs, of a 100-epoch run.
STUDY_SNAPSHOT_EPOCHS = (1, 12, 14, 16, 18, 100)
STUDY_EPOCHS = 100


def scaled_snapshot_epochs(epochs):
    """The study's snapshot epochs (1, 12, 14, 16, 18, 100 of 100) scaled to a run of `epochs`,
    rounded up, without repeats.

    Example:
        ```python
        from keras_vq.comparison import scaled_snapshot_epochs

        print(scaled_snapshot_epochs(100), scaled_snapshot_epochs(25))  # [1, 12, 14, 16, 18, 100] [1, 3, 4, 5, 25]
        ```
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1; got {epochs!r}")
    return sorted({max(1, math.ceil(epoch * epochs / STUDY_EPOCHS)) for epoch in STUDY_SNAPSHOT_EPOCHS})


def mean_and_sd(values):
    """`(mean, sd)` of `values` (one per seed); sd with ddof = 1, 0.0 for a single value.

    Example:
        ```python
        from keras_vq.comparison import mean_and_sd

        print(mean_and_sd([1.0, 2.0, 3.0]))  # (2.0, 1.0)
        ```
    """
    values = np.asarray(values, np.float64)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(f"values must be a non-empty list of numbers; got {values!r}")
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def summarize_over_seeds(figures_per_seed):
    """`{name: {"mean", "sd", "values"}}` for every number that each seed's figures hold.

    Example:
        ```python
        from keras_vq.comparison import summarize_over_seeds

        summary = summarize_over_seeds([{"mse": 0.004, "seed": 0}, {"mse": 0.006, "seed": 1}])
        print(summary["mse"])  # {'mean': 0.005, 'sd': 0.001414213562373095, 'values': [0.004, 0.006]}
        ```
    """
    if not figures_per_seed:
        raise ValueError("figures_per_seed is empty: no seed has finished")
    names = [
        name
        for name, value in figures_per_seed[0].items()
        if isinstance(value, (int, float))
        and not isinstance(value, bool)
        and all(isinstance(figures.get(name), (int, float)) for figures in figures_per_seed)
    ]
    summary = {}
    for name in names:
        values = [float(figures[name]) for figures in figures_per_seed]
        mean, sd = mean_and_sd(values)
        summary[name] = {"mean": mean, "sd": sd, "values": values}
    return summary


def curve_over_seeds(histories, key):
    """`(mean, sd)` arrays over epochs of `key` in each seed's history (`{name: [one value an epoch]}`);
    seeds must have trained the same number of epochs.

    Example:
        ```python
        from keras_vq.comparison import curve_over_seeds

        mean, sd = curve_over_seeds([{"held_out_mse": [0.02, 0.01]}, {"held_out_mse": [0.04, 0.01]}], "held_out_mse")
        print(mean, sd)  # [0.03 0.01] [0.01414214 0.        ]
        ```
    """
    missing = [index for index, history in enumerate(histories) if key not in history]
    if not histories or missing:
        raise ValueError(f"every history must hold {key!r}; seeds {missing} do not")
    lengths = {len(history[key]) for history in histories}
    if len(lengths) != 1:
        raise ValueError(f"the seeds' histories of {key!r} differ in length: {sorted(lengths)} epochs")
    values = np.array([history[key] for history in histories], np.float64)
    return values.mean(axis=0), values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros(values.shape[1])


def first_epoch_reaching(curve, threshold):
    """The first epoch (1-based) at which `curve` (one value an epoch) is at or below `threshold`; None if never.

    Example:
        ```python
        from keras_vq.comparison import first_epoch_reaching

        print(first_epoch_reaching([0.05, 0.02, 0.008, 0.006], 0.01))  # 3
        ```
    """
    below = np.flatnonzero(np.asarray(curve, np.float64) <= threshold)
    return int(below[0]) + 1 if len(below) else None


def format_mean_sd(summary, name, scale=1.0, digits=4):
    """`"mean (sd)"` of `summary[name]` times `scale`, or "—" where the model has no such figure."""
    if name not in summary:
        return "—"
    return f"{summary[name]['mean'] * scale:.{digits}g} ({summary[name]['sd'] * scale:.2g})"


# (figure, column heading, scale, significant digits) of the comparison table.
TABLE_COLUMNS = (
    ("bits_per_image", "bits/image", 1.0, 4),
    ("mse", "MSE ×10³ ([0, 1] scale)", 1e3, 3),
    ("nmse", "NMSE", 1.0, 3),
    ("psnr_db", "PSNR (dB)", 1.0, 3),
    ("commitment_loss", "commitment ×10³ (mean of levels)", 1e3, 3),
    ("top_commitment_loss", "top ×10³", 1e3, 3),
    ("bottom_commitment_loss", "bottom ×10³", 1e3, 3),
    ("perplexity", "perplexity", 1.0, 3),
    ("codebook_usage", "codebook usage", 1.0, 3),
    ("top_perplexity", "top perplexity", 1.0, 3),
    ("bottom_perplexity", "bottom perplexity", 1.0, 3),
    ("kl_per_image", "KL per image (nats)", 1.0, 3),
    ("active_units", "active units", 1.0, 4),
    ("parameters", "parameters", 1.0, 7),
    ("training_minutes", "training (min)", 1.0, 3),
)


def comparison_table(summaries, figures=None):
    """A Markdown table: one row per model (`{model: summarize_over_seeds(...)}`), each figure as
    mean (sd) over seeds; columns no model has are left out, and with `figures`, any not named there.

    Example:
        ```python
        from keras_vq.comparison import comparison_table, summarize_over_seeds

        summaries = {"vqvae": summarize_over_seeds([{"mse": 0.004, "psnr_db": 24.0}, {"mse": 0.005, "psnr_db": 23.0}])}
        print(comparison_table(summaries))
        ```
    """
    columns = [
        column
        for column in TABLE_COLUMNS
        if any(column[0] in summary for summary in summaries.values()) and (figures is None or column[0] in figures)
    ]
    lines = [
        "| model | " + " | ".join(heading for _, heading, _, _ in columns) + " |",
        "| --- |" + " ---: |" * len(columns),
    ]
    for model, summary in summaries.items():
        cells = [format_mean_sd(summary, name, scale, digits) for name, _, scale, digits in columns]
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def epochs_to_reach(histories, threshold, key="held_out_mse"):
    """`(mean, sd, epochs)` over seeds of the first epoch at which each seed's `key` is at or below
    `threshold`; a seed that never reaches it counts as one epoch past its last (and is listed as such).

    Example:
        ```python
        from keras_vq.comparison import epochs_to_reach

        histories = [{"held_out_mse": [0.03, 0.009, 0.006]}, {"held_out_mse": [0.02, 0.012, 0.008]}]
        print(epochs_to_reach(histories, 0.01))  # (2.5, 0.707..., [2, 3])
        ```
    """
    epochs = []
    for history in histories:
        epoch = first_epoch_reaching(history[key], threshold)
        epochs.append(len(history[key]) + 1 if epoch is None else epoch)
    mean, sd = mean_and_sd(epochs)
    return mean, sd, epochs


def comparison_verdict(summaries, histories, mse_threshold, names=("vae", "vqvae", "vqvae2")):
    """Sentences on the KaoKore study's three claims, from the final figures (`summaries`, as for
    `comparison_table`) and each model's per-seed histories (`{model: [history, ...]}` with
    `held_out_mse`): that the VQ-VAE learns faster than the VQ-VAE-2 but ends worse; that a VQ-VAE is
    not strictly better than a VAE; that the VAE suffers posterior collapse. Claims whose models were
    not run are left out.

    A difference counts only where it is larger than the two models' sds over seeds together: learning
    speed as the epochs each seed takes to reach `mse_threshold` (`epochs_to_reach`), the end as the
    final MSE.

    Example:
        ```python
        from keras_vq.comparison import comparison_verdict, summarize_over_seeds

        summaries = {"vqvae": summarize_over_seeds([{"mse": 0.005}, {"mse": 0.0051}]),
                     "vqvae2": summarize_over_seeds([{"mse": 0.004}, {"mse": 0.0041}])}
        histories = {"vqvae": [{"held_out_mse": [0.02, 0.009]}, {"held_out_mse": [0.02, 0.008]}],
                     "vqvae2": [{"held_out_mse": [0.03, 0.012, 0.008]}, {"held_out_mse": [0.03, 0.011, 0.007]}]}
        for sentence in comparison_verdict(summaries, histories, mse_threshold=0.01):
            print(sentence)
        ```
    """
    vae, vqvae, vqvae2 = names
    verdict = []

    def mse(model):
        return summaries[model]["mse"]

    def apart(first, second):
        """Whether two (mean, sd) are further apart than their sds together."""
        return abs(first[0] - second[0]) > first[1] + second[1]

    def differs(first, second):
        return apart((mse(first)["mean"], mse(first)["sd"]), (mse(second)["mean"], mse(second)["sd"]))

    if vqvae in summaries and vqvae2 in summaries:
        fast, slow = (epochs_to_reach(histories[name], mse_threshold) for name in (vqvae, vqvae2))
        learns_faster = fast[0] < slow[0] and apart(fast, slow)
        ends_worse = mse(vqvae)["mean"] > mse(vqvae2)["mean"] and differs(vqvae, vqvae2)
        support = (
            "supported"
            if learns_faster and ends_worse
            else "half supported: it ends worse, but does not learn faster"
            if ends_worse
            else "half supported: it learns faster, but does not end worse"
            if learns_faster
            else "not supported"
        )
        verdict.append(
            f"**VQ-VAE learns faster but ends worse than VQ-VAE-2**: {support}. "
            f"Epochs for held-out MSE to reach {mse_threshold:.3g}: {fast[0]:.3g} ± {fast[1]:.2g} (VQ-VAE; seeds "
            f"{fast[2]}) against {slow[0]:.3g} ± {slow[1]:.2g} (VQ-VAE-2; {slow[2]}); final MSE "
            f"{mse(vqvae)['mean']:.3g} ± {mse(vqvae)['sd']:.2g} against {mse(vqvae2)['mean']:.3g} ± "
            f"{mse(vqvae2)['sd']:.2g}{'' if differs(vqvae, vqvae2) else ', within their sds'}."
        )
    if vqvae in summaries and vae in summaries:
        vqvae_better = mse(vqvae)["mean"] < mse(vae)["mean"] and differs(vqvae, vae)
        verdict.append(
            f"**A VQ-VAE is not strictly better than a VAE**: {'not supported' if vqvae_better else 'supported'}. "
            f"Final MSE {mse(vqvae)['mean']:.3g} ± {mse(vqvae)['sd']:.2g} (VQ-VAE) against "
            f"{mse(vae)['mean']:.3g} ± {mse(vae)['sd']:.2g} (VAE); the VAE's latent is continuous, the "
            f"VQ-VAE's is {summaries[vqvae].get('perplexity', {}).get('mean', float('nan')):.0f} codes' worth "
            f"(perplexity)."
        )
    if vae in summaries and "active_units" in summaries[vae]:
        active = summaries[vae]["active_units"]["mean"]
        units = summaries[vae]["latent_units"]["mean"]
        collapsed = active < 0.5 * units
        verdict.append(
            f"**VAEs suffer posterior collapse**: {'supported' if collapsed else 'not supported'} for this VAE. "
            f"{active:.0f} of {units:.0f} latent units are active (Cov_x E_q[z|x] > 0.01; "
            f"{100 * active / units:.0f}%), with {summaries[vae]['kl_per_image']['mean']:.0f} nats of KL an image."
        )
    return verdict


def ranking_verdict(summaries, figure="nmse", lower_is_better=True):
    """Sentences ranking the models by a final figure (`summaries` as for `comparison_table`): the order,
    then whether the best beats each other model by more than their sds together (the same rule as
    `comparison_verdict`).

    Example:
        ```python
        from keras_vq.comparison import ranking_verdict, summarize_over_seeds

        summaries = {"vq": summarize_over_seeds([{"nmse": 0.060}, {"nmse": 0.062}]),
                     "fsq": summarize_over_seeds([{"nmse": 0.050}, {"nmse": 0.051}]),
                     "lfq": summarize_over_seeds([{"nmse": 0.051}, {"nmse": 0.053}])}
        for sentence in ranking_verdict(summaries):
            print(sentence)
        ```
    """
    ranked = sorted(summaries, key=lambda model: summaries[model][figure]["mean"], reverse=not lower_is_better)
    best = summaries[ranked[0]][figure]
    order = ", ".join(
        f"{model} {summaries[model][figure]['mean']:.4g} ± {summaries[model][figure]['sd']:.2g}" for model in ranked
    )
    sentences = [f"**Ranked by {figure}** ({'lower' if lower_is_better else 'higher'} is better): {order}."]
    beaten = [
        model
        for model in ranked[1:]
        if abs(summaries[model][figure]["mean"] - best["mean"]) > summaries[model][figure]["sd"] + best["sd"]
    ]
    tied = [model for model in ranked[1:] if model not in beaten]
    sentences.append(
        f"**{ranked[0]}** is best; it beats "
        + (", ".join(beaten) if beaten else "none of the others")
        + " by more than their sds together"
        + (f", and is within the sds of {', '.join(tied)}." if tied else ".")
    )
    return sentences


def study_budget(arguments):
    """What every model of a study gets, from a recipe's arguments: seeds, epochs, steps an epoch, batch
    size, learning rate and dtype policy.

    Example:
        ```python
        import types

        from keras_vq.comparison import budget_sentence, study_budget

        arguments = types.SimpleNamespace(seeds=3, epochs=25, steps_per_epoch=120, batch_size=32,
                                          learning_rate=3e-4, dtype_policy="mixed_bfloat16")
        print(budget_sentence(study_budget(arguments), test_images=10000, test_split="test"))
        ```
    """
    return {
        name: getattr(arguments, name)
        for name in ("seeds", "epochs", "steps_per_epoch", "batch_size", "learning_rate", "dtype_policy")
    }


def budget_sentence(budget, test_images, test_split):
    """One sentence saying a study's budget (`study_budget`), the backend, and where its final figures are from.

    Example:
        ```python
        from keras_vq.comparison import budget_sentence

        budget = {"seeds": 2, "epochs": 5, "steps_per_epoch": 100, "batch_size": 32, "learning_rate": 1e-3,
                  "dtype_policy": "float32"}
        print(budget_sentence(budget, test_images=500, test_split="test"))
        ```
    """
    return (
        f"{budget['seeds']} seed(s) x {budget['epochs']} epochs of {budget['steps_per_epoch']} steps, batch "
        f"{budget['batch_size']}, Adam {budget['learning_rate']:g}, {budget['dtype_policy']}, "
        f"{keras.backend.backend()}; final figures on the {test_images:,} images of `{test_split}`, mean (sd) "
        "over seeds."
    )


def train_and_measure(
    model_name,
    seed,
    build_model,
    training_from,
    run_dir,
    *,
    epochs,
    steps_per_epoch,
    learning_rate,
    held_out,
    test_images,
    snapshot_images=None,
    snapshot_epochs=(),
    evaluation_batch=250,
):
    """Trains one model for one seed in `run_dir` (resuming its checkpoint) and returns its figures.

    `build_model()` gives the untrained model (compiled here with Adam at
    `learning_rate`); `training_from(step)` the training batches from a step
    on (`keras_vq.training.fit_resumably`). Every epoch records the held-out
    figures (`callbacks.HeldOutReport`) and, at `snapshot_epochs`,
    reconstructions of `snapshot_images`. The final figures are
    `metrics.reconstruction_report` on `test_images`, with the parameter count
    and the training minutes. The result, `{"model", "seed", "test", "history",
    "snapshots"}`, is written last and atomically as `run_dir/results.json`,
    which marks the run finished: a finished run is read back, not trained.

    Example:
        ```python
        import keras

        import keras_vq
        from keras_vq.comparison import train_and_measure

        images, _, _ = keras_vq.data.load_cifar10_sample()
        build = lambda: keras_vq.models.VQVAE(hidden_channels=16, residual_channels=8,
                                              quantizer=keras_vq.layers.VectorQuantizer(32, 8, seed=0))
        batches = lambda step: ((images[i:i + 32],) for i in range(0, 256, 32))
        result = train_and_measure("vqvae", 0, build, batches, "run/vqvae/seed-0", epochs=1, steps_per_epoch=8,
                                   learning_rate=1e-3, held_out=images[-64:], test_images=images[-128:])
        print(round(result["test"]["nmse"], 2), len(result["history"]["held_out_mse"]))  # one epoch
        ```
    """
    run_dir = pathlib.Path(run_dir)
    final_path = run_dir / runs.RESULTS_FILE
    if final_path.exists():  # Finished in an earlier run of the study (written last, atomically).
        return json.loads(final_path.read_text())
    keras.utils.set_random_seed(seed)
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate))
    report = [callbacks.HeldOutReport(held_out, batch_size=evaluation_batch)]
    snapshots = None
    if snapshot_images is not None:
        snapshots = callbacks.ReconstructionSnapshots(snapshot_images, snapshot_epochs, directory=run_dir / "snapshots")
        report.append(snapshots)
    print(f"{model_name}, seed {seed}: {model.count_params():,} parameters", flush=True)
    history = training.fit_resumably(
        model,
        training_from,
        total_steps=epochs * steps_per_epoch,
        steps_per_epoch=steps_per_epoch,
        run_dir=run_dir,
        callbacks=report,
    )
    model = training.in_float32(model)
    figures = metrics.reconstruction_report(model, test_images, batch_size=evaluation_batch)
    figures |= {"parameters": model.count_params(), "training_minutes": sum(history["epoch_seconds"]) / 60}
    final = {
        "model": model_name,
        "seed": seed,
        "test": figures,
        "history": history,
        "snapshots": {}
        if snapshots is None
        else {str(epoch): f"snapshots/epoch-{epoch}.npy" for epoch in sorted(snapshots.snapshots)},
    }
    runs.write_results(run_dir, final)  # Refuses NaN figures; marks the model and seed finished.
    return final
