"""Built-in TransformerPrior presets, as data (see keras_vq/presets.py for what each field means).

Each prior also names the autoencoder preset whose codes it models (`autoencoder`, `autoencoder_preset`),
which level of codes (`level`: see `keras_vq.data.codes.prior_inputs`), and the recipe run it was
packaged from (`run`, for scripts/package_cifar10_presets.py).

One preset: the likelihood VQ-VAE's prior. A `cifar10` one over the MSE VQ-VAE's codes was trained and
measured too (docs/tutorials/transformers.md) but is not shipped: another 3.8 MB of weights would take the
checkout past the 64 MiB that travels to the GPU machines; `python -m keras_vq.recipes.cifar10_prior
--prior transformer --steps 2000` trains it in ~12 minutes on 2 CPU cores.
"""

__all__ = ["TRANSFORMER_PRESETS"]

TRANSFORMER_PRESETS = {
    "cifar10_logistic_mixture": {
        "description": (
            "Class-conditional decoder-only transformer (4 blocks of width 128, 4 heads, class dropout 0.1 for "
            "classifier-free guidance) over the 8x8 codes of VQVAE.from_preset('cifar10_logistic_mixture'), "
            "trained 2,000 steps of batch 64 (12.6 min on 2 CPU cores, the PixelCNN preset's time) on the codes "
            "of 90% of the CIFAR-10 train split by `python -m keras_vq.recipes.cifar10_prior --prior transformer "
            "--autoencoder-preset cifar10_logistic_mixture`. Test split: 6.49 bits/code; with the VQ-VAE's "
            "likelihood decoder, 4.91 bits/dim."
        ),
        "directory": "models/transformer/presets/cifar10_logistic_mixture",
        "autoencoder": "VQVAE",
        "autoencoder_preset": "cifar10_logistic_mixture",
        "level": "codes",
        "run": "transformer_lm/codes",
        "sha256": {
            "config.json": "89667c2864f7cf0ed2b468ed2e02de015379c97ebd8b15f84f281fdab1098d44",
            "model.weights.h5": "0d6ebd6bf5f4697bbd2c471cbbe2cfbca925ba27f7a10ea03f85339fe28d0adf",
        },
    },
}
