"""Command-line interface: one module per verb; `main.main(argv)` is the only entry."""
