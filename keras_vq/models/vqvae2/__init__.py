from keras_vq.models.vqvae2.vqvae2 import VQVAE2

__all__ = ["VQVAE2"]
