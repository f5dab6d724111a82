"""The maps of codes a VQ model encodes to, described one way for both VQ-VAE and VQ-VAE-2.

A VQ-VAE has one level of codes ("codes"); a VQ-VAE-2 two ("top", then
"bottom", whose prior is conditioned on the top codes: Razavi et al. 2019,
sec. 3.2). Both models answer `code_levels()` (`{name: CodeLevel}`, in
sampling order) and `encode(x)` (`{name: codes}`), and take
`decode({name: codes})`, so code caching, metrics, priors and recipes
handle either model without asking which it is, and a prior class builds
itself for a level (`for_code_level`). Example:

    for level in model.code_levels().values():
        prior = keras_vq.models.PixelCNN.for_code_level(level, num_classes=10)
        prior.fit(keras_vq.data.prior_inputs(codes, level, prior))
"""

import dataclasses
import typing

__all__ = ["CodeLevel"]


@dataclasses.dataclass(frozen=True)
class CodeLevel:
    """One map of codes.

    Attributes:
        name: "codes" (VQ-VAE), "top" or "bottom" (VQ-VAE-2).
        shape: the map's spatial shape (`(height, width)`; `(None,)` for audio of free length).
        num_embeddings: K, the codes it is drawn from.
        condition: the level a prior over this one is conditioned on (None: none).
        codes_per_position: codes at each position: 1, or a ResidualVectorQuantizer's
            stages (codes then have a last axis of that size). A prior models one code a
            position, the first stage's (`prior_codes`).
        stage_axis: whether codes have that last axis (a ResidualVectorQuantizer's do, even
            with one stage).

    Example:
        ```python
        import keras_vq

        levels = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8).code_levels()
        print(levels["bottom"])                         # shape (8, 8), K = 512, conditioned on the top level
        ```
    """

    name: str
    shape: tuple
    num_embeddings: int
    condition: typing.Optional["CodeLevel"] = None
    codes_per_position: int = 1
    stage_axis: bool = False

    def prior_codes(self, codes):
        """What a prior over this level models: `codes` as encoded, or with several codes a
        position, the first (coarsest) stage's, `codes[..., 0]`.

        Example:
            ```python
            import numpy as np

            import keras_vq

            level = keras_vq.models.code_levels.CodeLevel("codes", (8, 8), 16, codes_per_position=4, stage_axis=True)
            print(level.prior_codes(np.zeros((2, 8, 8, 4), "int32")).shape)  # (2, 8, 8): the first stage
            ```
        """
        return codes[..., 0] if self.stage_axis else codes

    def as_decoder_codes(self, prior_codes):
        """The inverse of `prior_codes` for a decoder: a prior's samples `(batch, *shape)` as codes the
        model decodes, `(batch, *shape, 1)` (one stage) when a position has several codes.

        Example:
            ```python
            import numpy as np

            import keras_vq

            level = keras_vq.models.code_levels.CodeLevel("codes", (8, 8), 16, codes_per_position=4, stage_axis=True)
            print(level.as_decoder_codes(np.zeros((2, 8, 8), "int32")).shape)  # (2, 8, 8, 1)
            ```
        """
        return prior_codes[..., None] if self.stage_axis else prior_codes


def levels_by_name(*levels):
    return {level.name: level for level in levels}
