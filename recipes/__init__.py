"""The recipes: scripts that train and evaluate keras-vq's presets, top to bottom.

In a clone they are `recipes/<name>.py`; installed, they are
`keras_vq.recipes.<name>` (pip install 'keras-vq[recipes]'):

    python -m keras_vq.recipes.quickstart          a VQ-VAE on the embedded CIFAR-10 sample
    python -m keras_vq.recipes.cifar10_vqvae       the CIFAR-10 VQ-VAE, VQ-VAE-2 and VAE presets
    python -m keras_vq.recipes.cifar10_prior       PixelCNN priors over their codes
    python -m keras_vq.recipes.kaokore_vqvae2      the KaoKore VQ-VAE-2 preset
    python -m keras_vq.recipes.librispeech_vqvae   the speech VQ-VAE, WaveNet prior and speaker conversion

Each takes `--help`.
"""
