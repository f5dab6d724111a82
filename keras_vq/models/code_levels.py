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
            stages (codes then have a last axis of that size). A prior models the first
            stage's (`prior_codes`), or every stage (`modelled_codes`: a `TransformerPrior`
            with `num_stages`).
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
        """The first (coarsest) stage of `codes`: `codes[..., 0]` when a position has several codes
        (codes with the stage axis), else `codes` as they are. What a prior over one stage models, and
        what VQ-VAE-2's bottom prior is conditioned on.

        Example:
            ```python
            import numpy as np

            import keras_vq

            level = keras_vq.models.code_levels.CodeLevel("codes", (8, 8), 16, codes_per_position=4, stage_axis=True)
            print(level.prior_codes(np.zeros((2, 8, 8, 4), "int32")).shape)  # (2, 8, 8): the first stage
            ```
        """
        return codes[..., 0] if self.has_stage_axis(codes) else codes

    def modelled_codes(self, codes, stages=1):
        """What a prior modelling `stages` codes a position (`LevelSpec.stages`) models of `codes`: every
        stage (`(batch, *shape, stages)`, a `TransformerPrior` over residual codes) or the first
        (`prior_codes`).

        Example:
            ```python
            import numpy as np

            import keras_vq

            level = keras_vq.models.code_levels.CodeLevel("codes", (8, 8), 16, codes_per_position=4, stage_axis=True)
            codes = np.zeros((2, 8, 8, 4), "int32")
            print(level.modelled_codes(codes, 4).shape, level.modelled_codes(codes).shape)  # (2, 8, 8, 4) (2, 8, 8)
            ```
        """
        if stages == 1:
            return self.prior_codes(codes)
        if stages != self.codes_per_position or not self.has_stage_axis(codes):
            raise ValueError(
                f"a prior over {stages} stages a position needs level {self.name!r}'s codes with that many "
                f"stages; it has {self.codes_per_position}, and the codes have shape {tuple(codes.shape)}"
            )
        return codes

    def as_decoder_codes(self, prior_codes):
        """The inverse of `modelled_codes` for a decoder: a prior's samples as codes the model decodes.
        A first stage's `(batch, *shape)` becomes `(batch, *shape, 1)` (one stage) when a position has
        several codes; samples of every stage, `(batch, *shape, stages)`, are decoded as they are.

        Example:
            ```python
            import numpy as np

            import keras_vq

            level = keras_vq.models.code_levels.CodeLevel("codes", (8, 8), 16, codes_per_position=4, stage_axis=True)
            print(level.as_decoder_codes(np.zeros((2, 8, 8), "int32")).shape)  # (2, 8, 8, 1)
            ```
        """
        if not self.stage_axis or self.has_stage_axis(prior_codes):
            return prior_codes
        return prior_codes[..., None]

    def has_stage_axis(self, codes):
        """Whether `codes` (a batch of this level's) carry the stage axis: `(batch, *shape, stages)`.

        Example:
            ```python
            import numpy as np

            import keras_vq

            level = keras_vq.models.code_levels.CodeLevel("codes", (8, 8), 16, codes_per_position=4, stage_axis=True)
            print(level.has_stage_axis(np.zeros((2, 8, 8, 4))), level.has_stage_axis(np.zeros((2, 8, 8))))  # True False
            ```
        """
        return self.stage_axis and len(codes.shape) == len(self.shape) + 2


def levels_by_name(*levels):
    return {level.name: level for level in levels}
