"""Reference data: the official postcode to samenwerkingsverband map (BWBR0032324)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from domain.values import Region, Sector

PROVINCE_BY_PREFIX: dict[str, Region] = {
    "20": Region.GRONINGEN,
    "21": Region.FRIESLAND,
    "22": Region.DRENTHE,
    "23": Region.OVERIJSSEL,
    "24": Region.FLEVOLAND,
    "25": Region.GELDERLAND,
    "26": Region.UTRECHT,
    "27": Region.NOORD_HOLLAND,
    "28": Region.ZUID_HOLLAND,
    "29": Region.ZEELAND,
    "30": Region.NOORD_BRABANT,
    "31": Region.LIMBURG,
}


@dataclass(frozen=True)
class PostcodeArea:
    pc4: str
    municipality: str
    po_swv: str | None  # None for the Europoort port area, which has no code
    vo_swv: str | None


@dataclass(frozen=True)
class Suggestion:
    """What the map says about a pupil's postcode area, for a given sector."""

    municipality: str
    samenwerkingsverband: str | None
    region: Region | None


@cache
def postcode_areas() -> dict[str, PostcodeArea]:
    text = (
        resources.files("domain")
        .joinpath("data/swv-regio-indeling.csv")
        .read_text(encoding="utf-8")
    )
    areas = {}
    for row in csv.DictReader(text.splitlines()):
        areas[row["pc4"]] = PostcodeArea(
            pc4=row["pc4"],
            municipality=row["gemeente"],
            po_swv=_code(row["po_swv"]),
            vo_swv=_code(row["vo_swv"]),
        )
    return areas


def _code(value: str) -> str | None:
    return value if value[:2] in ("PO", "VO") else None


@cache
def known_codes() -> frozenset[str]:
    codes: set[str] = set()
    for area in postcode_areas().values():
        codes.update(c for c in (area.po_swv, area.vo_swv) if c)
    return frozenset(codes)


def is_known_code(code: str) -> bool:
    return code in known_codes()


def region_of_code(code: str) -> Region:
    """The province a samenwerkingsverband belongs to: its code's first two digits."""
    return PROVINCE_BY_PREFIX[code[2:4]]


def code_fits_sector(code: str, sector: Sector) -> bool:
    """Primary sectors need a PO code and secondary ones a VO code; special
    education (so, vso) and mbo accept either (so falls under both PO and VO
    samenwerkingsverbanden; mbo has none of its own)."""
    if sector in (Sector.PO, Sector.SBO):
        return code.startswith("PO")
    if sector == Sector.VO:
        return code.startswith("VO")
    return True


def suggest(pc4: str, sector: Sector) -> Suggestion | None:
    """The samenwerkingsverband and region a pupil from this area would belong to."""
    area = postcode_areas().get(pc4)
    if area is None:
        return None
    secondary = sector in (Sector.VO, Sector.VSO, Sector.MBO)
    code = area.vo_swv if secondary else area.po_swv
    return Suggestion(
        municipality=area.municipality,
        samenwerkingsverband=code,
        region=region_of_code(code) if code else None,
    )
