"""Built-in PixelCNN presets, as data (see keras_vq/presets.py for what each field means).

Each prior also names the autoencoder preset whose codes it models
(`autoencoder`, `autoencoder_preset`), which level of codes (`level`: see
`keras_vq.data.codes.prior_inputs`), and the recipe run it was packaged from
(`run`, for scripts/package_cifar10_presets.py).
"""

__all__ = ["PIXELCNN_PRESETS"]

PIXELCNN_PRESETS = {
    "cifar10": {
        "description": (
            "Class-conditional gated PixelCNN (8 blocks of 64 channels) over the 8x8 codes of "
            "VQVAE.from_preset('cifar10'), trained 4,000 steps of batch 64 on the codes of 90% of the CIFAR-10 "
            "train split by `python -m keras_vq.recipes.cifar10_prior --steps 4000`. Test split: 8.60 bits/code "
            "(of log2 2048 = 11); with the VQ-VAE, 5.87 bits/dim. (Until 2026-12-08 it modelled the previous "
            "cifar10 VQ-VAE's K = 512 codes: 6.73 bits/code, 6.02 bits/dim.)"
        ),
        "directory": "models/pixelcnn/presets/cifar10",
        "autoencoder": "VQVAE",
        "autoencoder_preset": "cifar10",
        "level": "codes",
        "run": "prior_vqvae/codes",
        "sha256": {
            "config.json": "1675c67650d29e64723b0bbd2b6b984006ac1603db1108a73547ec956c83c080",
            "model.weights.h5": "88f828ddc2b4e41d4c10498b439827f2bc6b9e75772c9beaf4105522944f5aca",
        },
    },
    "cifar10_vqvae2_top": {
        "description": (
            "Class-conditional gated PixelCNN (8 blocks of 64 channels) over the 4x4 top codes of "
            "VQVAE2.from_preset('cifar10'), trained 4,000 steps of batch 64 on the codes of 90% of the CIFAR-10 "
            "train split by `python -m keras_vq.recipes.cifar10_prior`. Test split: 7.84 bits/code; with the bottom prior and "
            "the VQ-VAE-2, 5.91 bits/dim."
        ),
        "directory": "models/pixelcnn/presets/cifar10_vqvae2_top",
        "autoencoder": "VQVAE2",
        "autoencoder_preset": "cifar10",
        "level": "top",
        "run": "prior_vqvae2/top",
        "sha256": {
            "config.json": "6765ef7e45913e233c05f1396b1a8307f332a87204cafadc8536800a48802120",
            "model.weights.h5": "cf0f1f142379b5f6f00a9308a52babcd5e2a6af33ce4dd310173a1f7d3f076f5",
        },
    },
    "cifar10_vqvae2_bottom": {
        "description": (
            "Class-conditional gated PixelCNN (8 blocks of 64 channels) over the 8x8 bottom codes of "
            "VQVAE2.from_preset('cifar10'), conditioned on the 4x4 top codes, trained 4,000 steps of batch 64 "
            "on the codes of 90% of the CIFAR-10 train split by `python -m keras_vq.recipes.cifar10_prior`. Test split: "
            "6.97 bits/code; with the top prior and the VQ-VAE-2, 5.91 bits/dim."
        ),
        "directory": "models/pixelcnn/presets/cifar10_vqvae2_bottom",
        "autoencoder": "VQVAE2",
        "autoencoder_preset": "cifar10",
        "level": "bottom",
        "run": "prior_vqvae2/bottom",
        "sha256": {
            "config.json": "1700d77b9072babe79fd45d4b98800b1bba535cb6593bd1775f75c91b3351072",
            "model.weights.h5": "d5c90a51e3dad1df850f9376e9f5428992969d156bce1c5803ff3b9baa0d1ad2",
        },
    },
    "cifar10_logistic_mixture": {
        "description": (
            "Class-conditional gated PixelCNN (8 blocks of 64 channels) over the 8x8 codes of "
            "VQVAE.from_preset('cifar10_logistic_mixture'), trained 4,000 steps of batch 64 on the codes of 90% of "
            "the CIFAR-10 train split by `python -m keras_vq.recipes.cifar10_prior --autoencoder-preset "
            "cifar10_logistic_mixture`. Test split: 6.44 bits/code; with the VQ-VAE's likelihood decoder, "
            "4.91 bits/dim."
        ),
        "directory": "models/pixelcnn/presets/cifar10_logistic_mixture",
        "autoencoder": "VQVAE",
        "autoencoder_preset": "cifar10_logistic_mixture",
        "level": "codes",
        "run": "prior_vqvae_logistic_mixture/codes",
        "sha256": {
            "config.json": "a5655fb7855af8f663cd0d66b73ee4f9ff39cb0269e922ef723c445b7f9350c4",
            "model.weights.h5": "7a87632135c719574c1fd942c9869d9056591fd416d876592264bccba984a1df",
        },
    },
}
