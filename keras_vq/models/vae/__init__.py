from keras_vq.models.vae.vae import VAE

__all__ = ["VAE"]
