"""The refund provider: the product's HTTP client (`client`) and a sandbox provider for development
and tests (`sandbox`, run as its own process with `manage.py provider_sandbox`)."""
