"""`bench/compare`: this product beside django-helpdesk at the same N, measured in one run.

`cli` drives the run; `report` holds the arithmetic and the Markdown (pure, unit-tested);
`protocol` is the loop both measuring workers run; `product_worker` measures the product (this
virtual environment, `bench.settings`); `helpdesk_side/` is the small Django project, the seed and
the worker run inside django-helpdesk's own virtual environment (bench/.compare/venv).
"""
