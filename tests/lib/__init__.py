"""elu_lib on its own: needs only its runtime dependencies, pytest and hypothesis."""
