"""Values and states: realistic values by meaning, seeded initial states, sampled arguments."""
