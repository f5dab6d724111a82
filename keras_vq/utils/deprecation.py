"""Names kept for one release after a rename: each warns, once a call, what to write instead.

Example:

    def decode_codes(self, indices):
        warn_renamed("VQVAE.decode_codes(indices)", "VQVAE.decode({'codes': indices})")
        return self.decode({"codes": indices})
"""

import warnings

__all__ = ["warn_renamed"]


def warn_renamed(old, new):
    """A DeprecationWarning, pointing at the caller's line: `old` is deprecated, `new` replaces it (0.1).

    Example:
        ```python
        import warnings

        from keras_vq.utils.deprecation import warn_renamed

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warn_renamed("Model.old(x)", "Model.new(x)")
        print(caught[0].message)  # Model.old(x) is deprecated since 0.1 and will go: use Model.new(x)
        ```
    """
    warnings.warn(f"{old} is deprecated since 0.1 and will go: use {new}", DeprecationWarning, stacklevel=3)
