"""slimgo: turn a Go program into the smallest safe OCI image, daemonless, and prove it."""

__version__ = "0.1.0"
