"""The staff screens of the cases app (queues, the case workspace, incidents)."""
