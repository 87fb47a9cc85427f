"""Code generation: the world's SQLite schema and readable tool code, from its spec alone."""
