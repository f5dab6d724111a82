"""The maps of codes a VQ model encodes to, described one way for both VQ-VAE and VQ-VAE-2.

A VQ-VAE has one level of codes ("codes"); a VQ-VAE-2 two ("top", then
"bottom", whose prior is conditioned on the top codes: Razavi et al. 2019,
sec. 3.2). Both models answer `code_levels()` (`{name: CodeLevel}`, in
sampling order) and `encode_levels(x)` (`{name: codes}`), and take
`decode_levels({name: codes})`, so code caching, metrics, priors and recipes
handle either model without asking which it is. Example:

    for level in model.code_levels().values():
        prior = keras_vq.models.PixelCNN(**level.pixelcnn_arguments(), num_classes=10)
        prior.fit(keras_vq.data.prior_inputs(codes, level))
"""

import dataclasses
import typing


@dataclasses.dataclass(frozen=True)
class CodeLevel:
    """One map of codes.

    Attributes:
        name: "codes" (VQ-VAE), "top" or "bottom" (VQ-VAE-2).
        shape: the map's spatial shape (`(height, width)`; `(None,)` for audio of free length).
        num_embeddings: K, the codes it is drawn from.
        condition: the level a prior over this one is conditioned on (None: none).

    Example:
        ```python
        import keras_vq

        levels = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8).code_levels()
        print(levels["bottom"])                         # shape (8, 8), K = 512, conditioned on the top level
        print(levels["bottom"].pixelcnn_arguments())    # what a PixelCNN over this level takes
        ```
    """

    name: str
    shape: tuple
    num_embeddings: int
    condition: typing.Optional["CodeLevel"] = None

    def pixelcnn_arguments(self):
        """The `PixelCNN` arguments that fit this level: its code map, and the condition's.

        Example:
            ```python
            import keras_vq

            level = keras_vq.models.VQVAE2(hidden_channels=16, residual_channels=8).code_levels()["bottom"]
            prior = keras_vq.models.PixelCNN(**level.pixelcnn_arguments(), channels=16, num_blocks=2)
            print(prior.code_shape, prior.condition_shape)  # (8, 8) (4, 4): the bottom codes, given the top
            ```
        """
        arguments = {"code_shape": self.shape, "num_embeddings": self.num_embeddings}
        if self.condition is not None:
            arguments |= {"condition_shape": self.condition.shape,
                          "condition_num_embeddings": self.condition.num_embeddings}
        return arguments


def levels_by_name(*levels):
    return {level.name: level for level in levels}
