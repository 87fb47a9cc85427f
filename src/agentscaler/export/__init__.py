"""Export of kept episodes into training datasets (stage 1, stage 2, held-out)."""
