"""Running a world: the safe database API, the sandbox for tool code, loading a world folder,
the Gymnasium-shaped environment, state hashes, diffs and snapshots."""
