"""The demo data set `manage.py demo` seeds: cases first, then refunds of those cases.

A seeder is a callable taking keyword arguments; it gets `progress(done, total)` and, when it
accepts them, `cases` and `seed`. It returns a dict of counts (`skipped` and `reason` when it added
nothing because its data is present already).
"""

SEEDERS = [
    "devtools.demo.cases.seed",
    "devtools.demo.refunds.seed",
    "devtools.demo.macros.seed",
    "devtools.demo.mail.seed",
]
