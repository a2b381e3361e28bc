"""The record of PyTorch's and JAX's outputs that chapter 11 reads."""
