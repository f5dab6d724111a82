"""Built-in TransformerPrior presets, as data (see keras_vq/presets.py for what each field means).

None yet: the CIFAR-10 priors of issue 31 are trained by `recipes/cifar10_prior.py --prior transformer`.
"""

__all__ = ["TRANSFORMER_PRESETS"]

TRANSFORMER_PRESETS = {}
