"""Sections of the case detail that other apps own (refunds, notifications).

`casework` never imports the apps above it: the sections are listed in
`settings.CASE_DETAIL_SECTIONS` (name -> dotted path of `provider(case, context) -> list[dict]`).
"""

from backoffice.wiring import plugged_by_name


def detail_section(name: str, case, context) -> list:
    provider = plugged_by_name("CASE_DETAIL_SECTIONS").get(name)
    return provider(case, context) if provider else []
