"""Use cases: load models, call the domain, change models, flush. They never commit."""
