"""The sandbox refund provider (`sandbox`, its ledger `ledger`), run as its own process with
`manage.py provider_sandbox`: the provider the demo and the tests pay refunds through. The product's
client of a provider is `refunds.providers.client`."""
