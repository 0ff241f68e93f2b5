"""Biosphere flows that ecoinvent's biosphere3 lacks but US LCI reports.

FEDEFL's "Particulate matter, ≤ 10μm" (PM10 as a total, not the 2.5-10 μm
fraction) and "Nitrogen dioxide" (to air) have no biosphere3 counterpart.
Dropping them understates particulates badly (coal power reports most of its
PM that way), so they become flows of a small database of our own. Indicator
code references them by these exact ``(database, code)`` keys.

Two greenhouse gases US LCI reports, HFC-245fa and HFC-143, are missing from
biosphere3 3.9 as well; they are kept here so every greenhouse-gas exchange
links (the bundled IPCC 2021 method has no factor for them; AR6 GWP100 in the
comments below).
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = [
    "EXTENSION_DATABASE",
    "EXTENSION_FLOWS",
    "HFC_143",
    "HFC_245FA",
    "NITROGEN_DIOXIDE",
    "PM10_TOTAL",
    "install_biosphere",
]

logger = logging.getLogger(__name__)

EXTENSION_DATABASE = "tanji_biosphere_ext"
PM10_TOTAL = (EXTENSION_DATABASE, "pm10-total")
NITROGEN_DIOXIDE = (EXTENSION_DATABASE, "nitrogen-dioxide")
HFC_245FA = (EXTENSION_DATABASE, "hfc-245fa")
HFC_143 = (EXTENSION_DATABASE, "hfc-143")

EXTENSION_FLOWS: dict[tuple[str, str], dict[str, Any]] = {
    PM10_TOTAL: {
        "name": "Particulate Matter, < 10 um, total",
        "categories": ("air",),
        "unit": "kilogram",
        "type": "emission",
        "comment": "FEDEFL 'Particulate matter, ≤ 10μm': all particles up to 10 μm "
        "(includes PM2.5). No biosphere3 counterpart.",
    },
    NITROGEN_DIOXIDE: {
        "name": "Nitrogen dioxide",
        "categories": ("air",),
        "unit": "kilogram",
        "type": "emission",
        "CAS number": "10102-44-0",
        "comment": "FEDEFL 'Nitrogen dioxide' to air. biosphere3 has NO2 only as an "
        "emission to water; NOx to air is 'Nitrogen oxides' (as NO2).",
    },
    # Greenhouse gases US LCI reports that biosphere3 3.9 lacks (so the bundled
    # IPCC 2021 method has no factor for them). IPCC AR6 WG1 Table 7.SM.7 GWP100:
    # HFC-245fa 962, HFC-143 364.
    HFC_245FA: {
        "name": "Propane, 1,1,1,3,3-pentafluoro-, HFC-245fa",
        "categories": ("air",),
        "unit": "kilogram",
        "type": "emission",
        "CAS number": "460-73-1",
        "comment": "FEDEFL 'HFC-245fa' to air. No biosphere3 3.9 counterpart.",
    },
    HFC_143: {
        "name": "Ethane, 1,1,2-trifluoro-, HFC-143",
        "categories": ("air",),
        "unit": "kilogram",
        "type": "emission",
        "CAS number": "430-66-0",
        "comment": "FEDEFL 'HFC-143' to air. No biosphere3 3.9 counterpart.",
    },
}


def install_biosphere(*, biosphere_name: str = "biosphere3") -> None:
    """Make sure biosphere3 and the ``tanji_biosphere_ext`` flows exist in the current project.

    Idempotent: biosphere3 is created with bw2io's ``create_default_biosphere3``
    only if missing; extension flows are (re)written only if missing or changed.
    """
    import bw2data as bd

    if biosphere_name not in bd.databases:
        if biosphere_name != "biosphere3":
            raise ValueError(
                f"biosphere database {biosphere_name!r} missing; only biosphere3 is created"
            )
        import bw2io

        logger.info("creating biosphere database", extra={"database": biosphere_name})
        bw2io.create_default_biosphere3()
    wanted = {
        key: {**flow, "database": key[0], "code": key[1]} for key, flow in EXTENSION_FLOWS.items()
    }
    if EXTENSION_DATABASE in bd.databases:
        current = {
            (node["database"], node["code"]): node for node in bd.Database(EXTENSION_DATABASE)
        }
        if current.keys() == wanted.keys() and all(
            _same(current[key].get(field), value)
            for key, flow in wanted.items()
            for field, value in flow.items()
        ):
            return
    bd.Database(EXTENSION_DATABASE).write(wanted)


def _same(stored: Any, wanted: Any) -> bool:
    if isinstance(stored, list | tuple) and isinstance(wanted, list | tuple):
        return tuple(stored) == tuple(wanted)
    return stored == wanted
