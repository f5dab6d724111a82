from keras_vq.models.vae.vae import VAE
