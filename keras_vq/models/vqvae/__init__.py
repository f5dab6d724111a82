from keras_vq.models.vqvae.vqvae import VQVAE

__all__ = ["VQVAE"]
