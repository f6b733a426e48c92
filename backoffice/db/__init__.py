"""Which database a query goes to: the primary, or for reports and exports the read replica."""
