"""The dashboard's tables: their names, columns and indexes, and the counters each
case adds to, shared by the projection (``projections.dashboard``), which writes
them, and its queries (``projections.dashboard_view``), which read them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any

from domain.calendar import WorkingDayCalendar
from domain.values import Category, Status
from domain.zone import local_date
from projections.base import add_to_counters, columns_of, table_exists
from projections.figures import OPEN, school_year_of
from storage.db import Tx

TABLES = (
    "dashboard_cases",
    "dashboard_status",
    "dashboard_year_tallies",
    "dashboard_duration_counts",
    "dashboard_stock_counts",
    "dashboard_week_counts",
    "dashboard_counter_rules",
)

# The facts fixed at registration, copied into every status interval.
FIXED = (
    "registered_at",
    "region",
    "sector",
    "category",
    "requester_role",
    "service",
    "at_home_since",
)
# Every column of the two tables, in the order they are written.
CASE_COLUMNS = (
    "case_id",
    "registered_on",
    *FIXED,
    "intake_decision",
    "referred_to",
    "intake_at",
    "days_to_intake",
    "first_assigned_at",
    "days_to_assignment",
    "first_contact_at",
    "first_contact_on",
    "days_to_first_contact",
    "closed_at",
    "days_to_closing",
    "ended_at",
    "outcome",
    "education_status",
    "reopenings",
    "consultant_id",
    "status",
    "status_before_suspension",
    "status_since",
)
# The part of a case's state whose change starts a new status interval.
STATE = ("status", "consultant_id", "outcome", "education_status")
INTERVAL_COLUMNS = (
    "case_id",
    "version",
    *STATE,
    "valid_from",
    "valid_to",
    "valid_from_on",
    "days_from_registration",
    *FIXED,
)
CASE_VALUES = itemgetter(*CASE_COLUMNS)
INTERVAL_VALUES = itemgetter(*INTERVAL_COLUMNS)

# The counters of the figures now: base table -> key columns. ``school_year``
# is the case's registration school year.
COUNTER_KEYS: dict[str, tuple[str, ...]] = {
    "dashboard_year_tallies": ("school_year", "region", "tallied", "value"),
    "dashboard_duration_counts": (
        *("school_year", "region"),
        *("milestone", "decision", "days"),
    ),
    "dashboard_stock_counts": ("school_year", "region", "kind", "item"),
    # The year week by week: status intervals by the week (``week_of``) they
    # began or ended in: open ones begun ("entered", "registered" when begun
    # by the registration) and ended ("left"), ending ones (their status)
    # begun. These only ever grow: an interval, once begun or ended, stays so.
    "dashboard_week_counts": ("week", "region", "kind"),
}
WEEKS = "dashboard_week_counts"
# The columns the year's figures tally: fixed facts, then the state.
YEAR_COLUMNS = (
    *("region", "sector", "category", "requester_role", "service"),
    *("status", "outcome", "education_status"),
)
# The counters a case's row gives (``counter_keys``) changed with these rules;
# a version counted by other rules is counted again from its case rows.
COUNTER_RULES = 3
RULES = "dashboard_counter_rules"
# The counters made from the case rows (the week counters come from the
# intervals).
FROM_CASES = (
    "dashboard_year_tallies",
    "dashboard_duration_counts",
    "dashboard_stock_counts",
)
CALENDAR = WorkingDayCalendar()

# Written out (not as parameters) so that the partial indexes apply.
OPEN_SQL = "status IN (" + ", ".join(f"'{s}'" for s in OPEN) + ")"

Row = dict[str, Any]
# A counter: its table (base name) and its key, in COUNTER_KEYS[table] order.
CounterKey = tuple[str, tuple[Any, ...]]

CLOSED = str(Status.CLOSED)
AWAITING_ASSIGNMENT = str(Status.AWAITING_ASSIGNMENT)
THUISZITTER = str(Category.THUISZITTER)
# The durations' milestone of working days from assignment to first contact.
ASSIGNED_TO_CONTACT = "assignment_to_first_contact"


def create_tables(tx: Tx, tables: Mapping[str, str]) -> None:
    """Create one version's tables and indexes (idempotent); ``tables`` maps each
    base name to the version's table."""
    cases, status = tables["dashboard_cases"], tables["dashboard_status"]
    tx.execute(
        "CREATE TABLE IF NOT EXISTS {t} ("
        " case_id TEXT PRIMARY KEY,"
        " registered_at DOUBLE PRECISION NOT NULL, registered_on TEXT NOT NULL,"
        " region TEXT NOT NULL, sector TEXT NOT NULL, category TEXT NOT NULL,"
        " requester_role TEXT NOT NULL, service TEXT NOT NULL,"
        " at_home_since TEXT,"
        " intake_decision TEXT, intake_at DOUBLE PRECISION, days_to_intake INTEGER,"
        " first_assigned_at DOUBLE PRECISION, days_to_assignment INTEGER,"
        " first_contact_at DOUBLE PRECISION, first_contact_on TEXT,"
        " days_to_first_contact INTEGER,"
        " closed_at DOUBLE PRECISION, days_to_closing INTEGER,"
        " ended_at DOUBLE PRECISION, outcome TEXT, education_status TEXT,"
        " reopenings INTEGER NOT NULL DEFAULT 0,"
        " consultant_id TEXT, status TEXT NOT NULL,"
        " status_before_suspension TEXT,"
        " status_since DOUBLE PRECISION NOT NULL, referred_to TEXT)",
        t=cases,
    )
    _add_referrals(tx, tables)
    tx.execute(
        "CREATE TABLE IF NOT EXISTS {t} ("
        " case_id TEXT NOT NULL, version INTEGER NOT NULL,"
        " status TEXT NOT NULL, consultant_id TEXT,"
        " outcome TEXT, education_status TEXT,"
        " valid_from DOUBLE PRECISION NOT NULL, valid_to DOUBLE PRECISION,"
        " valid_from_on TEXT NOT NULL, days_from_registration INTEGER NOT NULL,"
        " registered_at DOUBLE PRECISION NOT NULL,"
        " region TEXT NOT NULL, sector TEXT NOT NULL, category TEXT NOT NULL,"
        " requester_role TEXT NOT NULL, service TEXT NOT NULL,"
        " at_home_since TEXT,"
        " PRIMARY KEY (case_id, version))",
        t=status,
    )
    # Each query reads one of these alone (an index-only scan): the
    # figures touch many rows, and a lookup in the table for each costs
    # several times the scan. Hence the long column lists.
    indexes = {
        f"{cases}_year": (
            cases,
            "registered_at, region, intake_at, days_to_intake, intake_decision,"
            " first_assigned_at, days_to_assignment,"
            " first_contact_at, days_to_first_contact",
            "",
        ),
        f"{status}_year": (
            status,
            "registered_at, valid_from, valid_to, region, sector, category,"
            " requester_role, service, status, outcome, education_status,"
            " days_from_registration",
            "",
        ),
        # The stock at a moment: the intervals of open cases that are
        # current, and those that ended after the moment. Two partial
        # indexes, which the stock query's conditions imply on both stores
        # (with one index over both, PostgreSQL misjudges and scans all).
        f"{status}_open_now": (
            status,
            "status, valid_from, registered_at, region, valid_from_on,"
            " category, at_home_since, consultant_id, valid_to",
            f" WHERE valid_to IS NULL AND {OPEN_SQL}",
        ),
        f"{status}_open_then": (
            status,
            "valid_to, status, valid_from, registered_at, region, valid_from_on,"
            " category, at_home_since, consultant_id",
            f" WHERE valid_to IS NOT NULL AND {OPEN_SQL}",
        ),
    }
    for name, (table, columns, where) in indexes.items():
        tx.execute(
            "CREATE INDEX IF NOT EXISTS {i} ON {t} (" + columns + ")" + where,
            t=table,
            i=name,
        )
    for base, key in COUNTER_KEYS.items():
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            + "".join(f" {c} TEXT NOT NULL," for c in key if c != "days")
            + (" days INTEGER NOT NULL," if "days" in key else "")
            + f" n INTEGER NOT NULL, PRIMARY KEY ({', '.join(key)}))",
            t=tables[base],
        )


def _add_referrals(tx: Tx, tables: Mapping[str, str]) -> None:
    """Give a version built before the referral destinations their column
    (NULL for the cases it already holds: their destinations take a rebuild,
    ``referrals_complete`` says which). The rules table records once, as the
    version gains it, whether its cases table had the column from the start."""
    cases, rules = tables["dashboard_cases"], tables[RULES]
    tx.execute(
        "CREATE TABLE IF NOT EXISTS {t} (rules INTEGER PRIMARY KEY,"
        " referrals_complete INTEGER NOT NULL)",
        t=rules,
    )
    if "referred_to" in columns_of(tx, cases):
        return
    tx.execute("ALTER TABLE {t} ADD COLUMN referred_to TEXT", t=cases)
    held = tx.fetchone("SELECT 1 FROM {t} LIMIT 1", t=cases) is not None
    tx.execute("DELETE FROM {t}", t=rules)
    # (Counted again, with the flag, by count_existing_cases.)
    tx.execute(
        "INSERT INTO {t} (rules, referrals_complete) VALUES (0, %s)",
        (0 if held else 1,),
        t=rules,
    )


def referrals_kept(tx: Tx, tables: Mapping[str, str]) -> tuple[bool, bool]:
    """Whether this version keeps referral destinations, and whether for every
    case: a version given the column later says so in its rules table (made
    with it); a cases table made with the column holds them all."""
    if "referred_to" not in columns_of(tx, tables["dashboard_cases"]):
        return False, False
    if RULES not in tables or not table_exists(tx, tables[RULES]):
        return True, True
    row = tx.fetchone("SELECT referrals_complete FROM {t}", t=tables[RULES])
    return True, row is None or bool(row[0])


def counter_keys(row: Row) -> list[CounterKey]:
    """The counters a case adds one to, by its row in ``dashboard_cases`` now.

    Absent values are "" (key columns are never NULL). The figures as of a
    moment (``DashboardView``) count the same from the status intervals; a
    test holds the two to each other.
    """
    year = school_year_of(date.fromisoformat(row["registered_on"]))
    region = row["region"]
    status = row["status"]
    # The year's figures are tallies by one column at a time (by status, by
    # region, ...), so a case counts once under each column's value.
    keys: list[CounterKey] = [
        ("dashboard_year_tallies", (year, region, column, row[column] or ""))
        for column in YEAR_COLUMNS
    ]
    durations = "dashboard_duration_counts"
    if row["intake_at"] is not None:
        keys.append(
            (
                durations,
                (year, region, "intake", row["intake_decision"], row["days_to_intake"]),
            )
        )
        if row["referred_to"]:
            keys.append(
                (
                    durations,
                    (
                        year,
                        region,
                        "referral",
                        row["referred_to"],
                        row["days_to_intake"],
                    ),
                )
            )
    if row["first_assigned_at"] is not None:
        keys.append(
            (durations, (year, region, "assignment", "", row["days_to_assignment"]))
        )
    if row["first_contact_at"] is not None:
        keys.append(
            (
                durations,
                (year, region, "first_contact", "", row["days_to_first_contact"]),
            )
        )
        if row["first_assigned_at"] is not None:
            worked = working_days_to_contact(
                row["registered_on"], row["days_to_assignment"], row["first_contact_on"]
            )
            keys.append((durations, (year, region, ASSIGNED_TO_CONTACT, "", worked)))
    if status == CLOSED:
        keys.append((durations, (year, region, "closing", "", row["days_to_closing"])))
    if status in OPEN:
        stock = "dashboard_stock_counts"
        at_home = row["category"] == THUISZITTER or row["at_home_since"] is not None
        if status == AWAITING_ASSIGNMENT:
            since = local_date(datetime.fromtimestamp(row["status_since"], UTC))
            keys.append((stock, (year, region, "queue", since.isoformat())))
            if at_home:
                keys.append((stock, (year, region, "queue_home", since.isoformat())))
        if at_home:
            keys.append((stock, (year, region, "home", row["at_home_since"] or "")))
        if row["consultant_id"] is not None:
            keys.append((stock, (year, region, "consultant", row["consultant_id"])))
    return keys


def working_days_to_contact(
    registered_on: str, days_to_assignment: int, first_contact_on: str
) -> int:
    """Working days from the first assignment's day to the first contact's
    (the first-contact clock's measure, domain.deadlines; suspensions are not
    taken off): 0 on the same day (or before it)."""
    assigned_on = date.fromisoformat(registered_on) + timedelta(
        days=int(days_to_assignment)
    )
    return CALENDAR.working_days_between(
        assigned_on, date.fromisoformat(first_contact_on)
    )


def count_keys(rows: Iterable[Row]) -> Counter[CounterKey]:
    """Every counter over these cases' rows (what the tables hold for them)."""
    return Counter(key for row in rows for key in counter_keys(row))


def add_counts(tx: Tx, tables: Mapping[str, str], change: Counter[CounterKey]) -> None:
    """Add each key's change to its counter; a counter down to 0 goes, so
    the tables hold the same rows however the events were batched."""
    for base, columns in COUNTER_KEYS.items():
        add_to_counters(
            tx,
            tables[base],
            columns,
            {k: n for (b, k), n in change.items() if b == base},
        )


def count_existing_cases(tx: Tx, tables: Mapping[str, str]) -> None:
    """Count the case rows again when this version's counters were counted by
    other rules (``COUNTER_RULES``) or not at all: a version built before the
    counters, or before the rules changed, gains them when a worker first runs
    it. A chunk of cases at a time; the runner holds the read model's set-up
    lock meanwhile. Runners of the code before must have stopped: cases they
    change later would be counted by the old rules."""
    rules = tx.fetchone("SELECT rules FROM {t}", t=tables[RULES])
    if rules is not None and int(rules[0]) == COUNTER_RULES:
        return
    if rules is None:
        tx.execute(
            "INSERT INTO {t} (rules, referrals_complete) VALUES (%s, 1)",
            (COUNTER_RULES,),
            t=tables[RULES],
        )
    else:
        tx.execute("UPDATE {t} SET rules = %s", (COUNTER_RULES,), t=tables[RULES])
    for base in FROM_CASES:
        tx.execute("DELETE FROM {t}", t=tables[base])
    cases = tables["dashboard_cases"]
    after = ""
    while True:
        rows = tx.fetchall(
            f"SELECT {', '.join(CASE_COLUMNS)} FROM {{t}} WHERE case_id > %s"
            " ORDER BY case_id LIMIT 20000",
            (after,),
            t=cases,
        )
        if not rows:
            return
        found = (dict(zip(CASE_COLUMNS, r, strict=True)) for r in rows)
        add_counts(tx, tables, count_keys(found))
        after = rows[-1][0]
