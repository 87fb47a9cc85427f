"""Inference: what a domain's tools mean (entities, keys, operations, rules), from their schemas
and descriptions. Its output is the world spec; nothing after the spec reads tool schemas."""
