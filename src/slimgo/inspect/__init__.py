"""`slimgo inspect`: what a Go binary (or an image's entrypoint) is made of, as data the CLI renders."""
