"""Use cases: import, match run, review workflow, reports. The only layer that commits."""
