"""Word lists for the dialogue-tone analyses (see README.md); loaded by workbench.evaluate.biases."""
