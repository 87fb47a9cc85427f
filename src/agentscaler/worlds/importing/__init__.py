"""Worlds from a user's own data: reading it, tables from it, its shape for the way back, replay
of recorded calls and fidelity against an executable reference."""
