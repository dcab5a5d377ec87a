"""Turning Go main packages into OCI images: base selection, the static gate, layers, config, outputs."""
