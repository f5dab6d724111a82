"""A 1x1 convolution as a matrix product, for the generation loops' one position at a time."""

from keras import ops


def pointwise_matrix(convolution, dtype=None):
    """`(kernel, bias)` of a built 1x1 convolution (`Conv1D` or `Conv2D`, kernel size 1): the kernel as a
    `(C_in, C_out)` matrix and the bias `(C_out,)`, cast to `dtype` (the layer's compute dtype by
    default), so that at every position y = x @ kernel + bias is the convolution (before its activation).
    The generation loops compute these once and apply them to `(N, C_in)` vectors each step."""
    dtype = dtype or convolution.compute_dtype
    kernel = ops.cast(convolution.kernel, dtype)
    return ops.reshape(kernel, kernel.shape[-2:]), ops.cast(convolution.bias, dtype)
