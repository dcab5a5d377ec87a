"""Image analysis: per-layer changes, waste (dive-compatible and corrected), attack-surface audit, CI gate, slim."""
