"""The world spec: the typed, editable record of what a world means (``spec.yaml``), between
inference and everything after it (code generation, seeding, checks, policies, tasks)."""
