"""The case list's queries: the filters, the rows and pages a reader gets, and
keyset cursors over the list's orders (the table is ``projections.case_list``'s)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from domain.values import OPEN_STATUSES
from projections.base import versioned_tables
from projections.cursors import BadCursor, decode_cursor, encode_cursor
from storage.db import Tx

# The read model's tables (base names): the rows, and the pupil names' blind
# index (domain.search), one row per word.
TABLES = ("case_list", "case_list_names")
# The orders that put a day first; a case without that day comes after all.
DAY_ORDERS = {"at_home": "at_home_since", "next_due": "next_due"}
LAST_DAY = "9999-12-31"
# What a search is taken to be a case reference by (domain.reference's format).
REFERENCE = re.compile(r"OC-[0-9]{4}-[0-9]{5,}")
_DAY_KEY = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\|([0-9a-f-]{36})")


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    region: str | None = None
    category: str | None = None
    sector: str | None = None
    service: str | None = None
    consultant_id: str | None = None
    registered_from: date | None = None
    registered_to: date | None = None
    q: str | None = None
    overdue_on: date | None = None  # only cases with a running clock past due
    open_only: bool = False  # only cases still open
    # The order of the rows (and of the pages): "registered" (oldest first),
    # "at_home" (thuiszitters first, longest at home first, then the oldest)
    # or "next_due" (the nearest due date first, cases without one last).
    order: str = "registered"
    # A name search's words as the blind index keeps them (domain.search), made
    # by the caller, who holds the index's secret.
    name_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    reference: str
    status: str
    region: str
    category: str
    sector: str
    service: str
    requester_role: str
    consultant_id: str | None
    registered_at: datetime
    pupil_name: str | None
    erased: bool
    at_home_since: str | None
    next_due: str | None
    version: int


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    next_cursor: str | None


COLUMNS = (
    "case_id, reference, status, region, category, sector, service, requester_role,"
    " consultant_id, registered_at, pupil_name, erased, at_home_since, next_due,"
    " version"
)


class CaseListView:
    """Queries on the serving version of the case list."""

    EQUAL_FILTERS: ClassVar[tuple[str, ...]] = (
        "status",
        "region",
        "category",
        "sector",
        "service",
        "consultant_id",
    )

    def __init__(self, tables: Mapping[str, str]) -> None:
        self.table = tables["case_list"]
        self.names = tables["case_list_names"]

    @classmethod
    def for_version(cls, version: int) -> CaseListView:
        return cls(versioned_tables(TABLES, version))

    def page(
        self, tx: Tx, f: CaseFilter, *, limit: int, cursor: str | None
    ) -> CasePage:
        where: list[str] = []
        params: list[Any] = []
        for name in self.EQUAL_FILTERS:
            value = getattr(f, name)
            if value is not None:
                where.append(f"{name} = %s")
                params.append(value)
        if f.registered_from is not None:
            where.append("registered_on >= %s")
            params.append(f.registered_from.isoformat())
        if f.registered_to is not None:
            where.append("registered_on <= %s")
            params.append(f.registered_to.isoformat())
        if f.q:
            text = f.q.strip()
            if REFERENCE.fullmatch(text.upper()):
                # A case reference: found by its unique index, not by a scan.
                where.append("reference = %s")
                params.append(text.upper())
            else:
                # The name's words through the blind index (the caller hashed
                # them: f.name_words); a case must have every one.
                words = list(f.name_words)
                if not words:
                    where.append("1 = 0")
                else:
                    marks = ", ".join(["%s"] * len(words))
                    where.append(
                        "case_id IN (SELECT case_id FROM {n} WHERE word IN ("
                        + marks
                        + ") GROUP BY case_id HAVING COUNT(*) = %s)"
                    )
                    params.extend([*words, len(words)])
        if f.open_only:
            where.append("status IN (" + ", ".join(["%s"] * len(OPEN_STATUSES)) + ")")
            params.extend(str(s) for s in sorted(OPEN_STATUSES))
        if f.overdue_on is not None:
            where.append("next_due < %s")
            params.append(f.overdue_on.isoformat())
        day_column = DAY_ORDERS.get(f.order)
        if day_column is None and f.order != "registered":
            raise ValueError(f"no such order: {f.order}")
        day = f"COALESCE({day_column}, '{LAST_DAY}')" if day_column else None
        if cursor is not None:
            after_at, key = decode_cursor(cursor)
            if day is None:
                where.append(
                    "(registered_at > %s OR (registered_at = %s AND case_id > %s))"
                )
                params.extend([after_at, after_at, key])
            else:
                after_day, after_id = _day_key(key)
                where.append(f"({day}, registered_at, case_id) > (%s, %s, %s)")
                params.extend([after_day, after_at, after_id])
        sql = "SELECT " + COLUMNS + " FROM {t}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        order = (
            "registered_at, case_id"
            if day is None
            else f"{day}, registered_at, case_id"
        )
        sql += f" ORDER BY {order} LIMIT %s"
        params.append(limit + 1)
        rows = tx.fetchall(sql, params, t=self.table, n=self.names)
        more = len(rows) > limit
        rows = rows[:limit]
        items = [row_to_case(r) for r in rows]
        next_cursor = None
        if more and rows:
            last = rows[-1]
            key = str(last[0])
            if day_column is not None:
                column = 12 if day_column == "at_home_since" else 13
                key = f"{last[column] or LAST_DAY}|{key}"
            next_cursor = encode_cursor(float(last[9]), key)
        return CasePage(items, next_cursor)

    def get(self, tx: Tx, case_id: str) -> CaseRow | None:
        row = tx.fetchone(
            "SELECT " + COLUMNS + " FROM {t} WHERE case_id = %s",
            (case_id,),
            t=self.table,
        )
        return row_to_case(row) if row else None


def _day_key(key: str) -> tuple[str, str]:
    """The day and case id of a day-ordered page's cursor key."""
    found = _DAY_KEY.fullmatch(key)
    if found is None:
        raise BadCursor("cursor is not valid")
    return found[1], found[2]


def row_to_case(r: tuple[Any, ...]) -> CaseRow:
    from datetime import UTC

    return CaseRow(
        case_id=str(r[0]),
        reference=str(r[1]),
        status=str(r[2]),
        region=str(r[3]),
        category=str(r[4]),
        sector=str(r[5]),
        service=str(r[6]),
        requester_role=str(r[7]),
        consultant_id=r[8],
        registered_at=datetime.fromtimestamp(float(r[9]), tz=UTC),
        pupil_name=r[10],
        erased=bool(r[11]),
        at_home_since=r[12],
        next_due=r[13],
        version=int(r[14]),
    )
