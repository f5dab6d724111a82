"""Built-in PixelCNN presets, as data (see keras_vq/presets.py for what each field means).

Each prior also names the autoencoder preset whose codes it models
(`autoencoder`, `autoencoder_preset`), which level of codes (`level`: see
`keras_vq.data.codes.prior_inputs`), and the recipe run it was packaged from
(`run`, for scripts/package_cifar10_presets.py).
"""

PIXELCNN_PRESETS = {
    "cifar10": {
        "description": (
            "Class-conditional gated PixelCNN (8 blocks of 64 channels) over the 8x8 codes of "
            "VQVAE.from_preset('cifar10'), trained 4,000 steps of batch 64 on the codes of 90% of the CIFAR-10 "
            "train split by recipes/cifar10_prior.py. Test split: 6.73 bits/code; with the VQ-VAE, "
            "6.02 bits/dim."
        ),
        "directory": "models/pixelcnn/presets/cifar10",
        "autoencoder": "VQVAE",
        "autoencoder_preset": "cifar10",
        "level": "codes",
        "run": "prior_vqvae/codes",
        "sha256": {
            "config.json": "a5655fb7855af8f663cd0d66b73ee4f9ff39cb0269e922ef723c445b7f9350c4",
            "model.weights.h5": "9d0ff3669f4a14c205bf4000fdeb8ff5a89509734bd2a0b45707589c118239ea",
        },
    },
}
