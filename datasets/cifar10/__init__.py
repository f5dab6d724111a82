"""CIFAR-10: 60,000 32x32 colour images in 10 classes (Krizhevsky, 2009)."""
