"""Checks of a compiled world: mechanical conformance and semantic checks derived from its spec."""
