"""`slimgo report`: one self-contained HTML page (inline SVG, no network) from inspect and bench documents."""
