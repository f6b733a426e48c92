"""The refund provider: the product's HTTP client (`client`). The sandbox provider for development
and tests is in devtools (`devtools.providers.sandbox`, `manage.py provider_sandbox`)."""
