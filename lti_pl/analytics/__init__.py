"""Model fitting over many students' evidence (numpy): above the domain, below the services."""
