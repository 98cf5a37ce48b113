"""The dashboard's figures as the API and the pages both read them: one path from
the read models (dashboard, workload, deadlines) to one answer."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from api.container import Container
from api.problems import Problem
from api.reads import serving_view
from domain.deadlines import FIRST_CONTACT_WORKING_DAYS
from domain.zone import local_date
from projections.dashboard import DashboardProjection
from projections.deadlines import DeadlinesProjection
from projections.figures import school_year_of
from projections.workload import WorkloadProjection
from storage.db import Database

NOT_KEPT = (
    "the deadline clocks are kept for the present only; ask without as_of for them"
)
REFERRALS_PARTIAL = (
    "the referral destinations count only the intake decisions since the dashboard"
    " read model gained them; rebuild it"
    " (dossier projections rebuild dashboard --no-compare)"
    " to count them all"
)

# The figures as of a past moment the read model has passed cannot change: the
# latest few are kept, per database, by (version, school year, region, moment).
PAST_KEPT = 64
Key = tuple[int, str, str | None, float]
_past: WeakKeyDictionary[Database, OrderedDict[Key, dict[str, Any]]]
_past = WeakKeyDictionary()
_past_lock = threading.Lock()


def _kept(db: Database, key: Key) -> dict[str, Any] | None:
    with _past_lock:
        kept = _past.get(db)
        if kept is None or key not in kept:
            return None
        kept.move_to_end(key)
        return copy.deepcopy(kept[key])


def _keep(db: Database, key: Key, figures: dict[str, Any]) -> None:
    with _past_lock:
        kept = _past.setdefault(db, OrderedDict())
        kept[key] = copy.deepcopy(figures)
        while len(kept) > PAST_KEPT:
            kept.popitem(last=False)


def _with_capacities(
    figures: dict[str, Any], capacities: dict[str, int]
) -> dict[str, Any]:
    """Each consultant's capacity as it is now (the workload read model keeps
    no past), beside the open cases counted as of the moment."""
    for row in figures["open_per_consultant"]:
        row["capacity"] = capacities.get(row["consultant_id"])
    return figures


def dashboard_figures(
    container: Container,
    *,
    school_year: str | None = None,
    region: str | None = None,
    as_of: datetime | None = None,
    min_position: int | None = None,
) -> dict[str, Any]:
    """A school year's figures (default: the year of the moment), now or as they
    stood at ``as_of`` (a later moment is taken as now), for one region or all.

    Problem 422 for a school year that is not one; 503 while a read model is
    missing or behind ``min_position``.
    """
    now = datetime.now(tz=UTC)
    at = min(as_of, now) if as_of is not None else now
    year = school_year or school_year_of(local_date(at))
    view, version = serving_view(container, DashboardProjection, min_position)
    workload, _ = serving_view(container, WorkloadProjection, None)
    key: Key = (version, year, None if region is None else str(region), at.timestamp())
    with container.db.reading() as tx:
        capacities = {
            c["id"]: c["capacity"] for c in workload.consultants(tx, region=region)
        }
        figures = None if as_of is None else _kept(container.db, key)
        if figures is None:
            try:
                figures = view.figures(
                    tx, school_year=year, region=region, as_of=as_of, now=now
                )
            except ValueError as error:
                raise Problem(
                    422, "invalid-request", "Invalid request", str(error)
                ) from None
            if as_of is not None and view.settled(tx, at):
                _keep(container.db, key, figures)
        _with_capacities(figures, capacities)
    figures["norms"] = {
        "intake_days": container.service.intake_norm_weeks * 7,
        "first_contact_working_days_after_assignment": FIRST_CONTACT_WORKING_DAYS,
    }
    if not figures["referrals_complete"]:
        figures.setdefault("not_available", {})["referrals"] = REFERRALS_PARTIAL
    if as_of is not None:
        # The deadline clocks are kept as they stand now, not with their past:
        # said in the answer rather than left out without a word.
        figures["deadlines"] = None
        figures["deadlines_to_watch"] = None
        figures.setdefault("not_available", {}).update(
            dict.fromkeys(("deadlines", "deadlines_to_watch"), NOT_KEPT)
        )
    else:
        deadlines, _ = serving_view(container, DeadlinesProjection, None)
        with container.db.reading() as tx:
            figures["deadlines"] = deadlines.counts(tx, region)
            figures["deadlines_to_watch"] = [
                r.as_dict() for r in deadlines.missed_or_at_risk(tx, region=region)
            ]
    return figures
