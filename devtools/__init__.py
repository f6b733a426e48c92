"""Development tooling, outside the product: the demo data set and `manage.py demo` (the whole
product on one machine), and the sandbox refund provider (`manage.py provider_sandbox`) that the
demo and the tests pay refunds through.

Installed only outside production (`backoffice/settings.py`, DEVTOOLS: DEBUG on, or
BACKOFFICE_DEVTOOLS=1); no product package imports it.
"""
