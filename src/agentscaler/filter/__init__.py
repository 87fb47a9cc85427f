"""Verification and the three-stage filter: validity, state alignment, exact match."""
