"""The destruction lists read model: every list (and so every certificate) with
its state and counts, and each listed case's state, for the pages and the
retention worker. Holds case references and ids only, never personal data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.destruction import DestructionList, ListState
from projections.base import DispatchMethod, Projection, insert_rows
from storage.db import Database, Tx

LIST_COLUMNS = (
    "list_id",
    "kind",
    "state",
    "rule_code",
    "ended_before",
    "proposed_at",
    "proposed_by",
    "listed",
    "removed",
    "erased",
    "skipped",
    "completed_at",
    "version",
    "position",
)


@dataclass(frozen=True)
class ListRow:
    list_id: str
    kind: str
    state: str
    rule_code: str
    ended_before: str | None
    proposed_at: float
    proposed_by: str
    listed: int
    removed: int
    erased: int
    skipped: int
    completed_at: float | None
    version: int
    position: int


class DestructionListsProjection(Projection):
    """Maintains ``destruction_lists_v<N>`` and ``destruction_list_cases_v<N>``."""

    name = "destruction_lists"
    tables = ("destruction_lists", "destruction_list_cases")

    def create_tables(self, tx: Tx, db: Database) -> None:
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " list_id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL,"
            " rule_code TEXT NOT NULL, ended_before TEXT,"
            " proposed_at DOUBLE PRECISION NOT NULL, proposed_by TEXT NOT NULL,"
            " listed INTEGER NOT NULL, removed INTEGER NOT NULL,"
            " erased INTEGER NOT NULL, skipped INTEGER NOT NULL,"
            " completed_at DOUBLE PRECISION,"
            " version INTEGER NOT NULL, position BIGINT NOT NULL)",
            t=self.table("destruction_lists"),
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS {i} ON {t} (proposed_at)",
            t=self.table("destruction_lists"),
            i=f"{self.table('destruction_lists')}_proposed_at",
        )
        tx.execute(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " list_id TEXT NOT NULL, case_id TEXT NOT NULL, state TEXT NOT NULL,"
            " PRIMARY KEY (list_id, case_id))",
            t=self.table("destruction_list_cases"),
        )
        tx.execute(
            "CREATE INDEX IF NOT EXISTS {i} ON {t} (case_id)",
            t=self.table("destruction_list_cases"),
            i=f"{self.table('destruction_list_cases')}_case_id",
        )

    @DispatchMethod
    def handle(self, event: Any, position: int, tx: Tx) -> None:
        """Case and consultant events are not about lists."""

    def _moved(self, event: Any, position: int, tx: Tx, sets: str = "") -> None:
        tx.execute(
            "UPDATE {t} SET version = %s, position = %s" + sets + " WHERE list_id = %s",
            [event.originator_version, position, str(event.originator_id)],
            t=self.table("destruction_lists"),
        )

    def _case_state(self, event: Any, tx: Tx, case_id: str, state: str) -> None:
        tx.execute(
            "UPDATE {t} SET state = %s WHERE list_id = %s AND case_id = %s",
            [state, str(event.originator_id), case_id],
            t=self.table("destruction_list_cases"),
        )

    @handle.register
    def _(self, event: DestructionList.Proposed, position: int, tx: Tx) -> None:
        list_id = str(event.originator_id)
        tx.execute(
            "INSERT INTO {t} ("
            + ", ".join(LIST_COLUMNS)
            + ") VALUES ("
            + ", ".join(["%s"] * len(LIST_COLUMNS))
            + ") ON CONFLICT (list_id) DO NOTHING",
            [
                list_id,
                event.kind,
                str(ListState.PROPOSED),
                event.rule["code"],
                event.rule.get("ended_before"),
                event.timestamp.timestamp(),
                event.by.user_id,
                len(event.cases),
                0,
                0,
                0,
                None,
                event.originator_version,
                position,
            ],
            t=self.table("destruction_lists"),
        )
        insert_rows(
            tx,
            self.table("destruction_list_cases"),
            ("list_id", "case_id", "state"),
            ((list_id, c["case_id"], "listed") for c in event.cases),
        )

    @handle.register
    def _(self, event: DestructionList.CaseRemoved, position: int, tx: Tx) -> None:
        self._moved(event, position, tx, ", removed = removed + 1")
        self._case_state(event, tx, event.case_id, "removed")

    @handle.register
    def _(self, event: DestructionList.Reviewed, position: int, tx: Tx) -> None:
        self._moved(event, position, tx, f", state = '{ListState.REVIEWED}'")

    @handle.register
    def _(self, event: DestructionList.Approved, position: int, tx: Tx) -> None:
        self._moved(event, position, tx, f", state = '{ListState.APPROVED}'")

    @handle.register
    def _(self, event: DestructionList.CaseDone, position: int, tx: Tx) -> None:
        counter = "skipped" if event.outcome == "skipped" else "erased"
        self._moved(event, position, tx, f", {counter} = {counter} + 1")
        self._case_state(event, tx, event.case_id, event.outcome)

    @handle.register
    def _(self, event: DestructionList.Completed, position: int, tx: Tx) -> None:
        tx.execute(
            "UPDATE {t} SET state = %s, completed_at = %s WHERE list_id = %s",
            [
                str(ListState.COMPLETED),
                event.timestamp.timestamp(),
                str(event.originator_id),
            ],
            t=self.table("destruction_lists"),
        )
        self._moved(event, position, tx)


class DestructionListsView:
    """Queries on the serving version of the destruction lists."""

    def __init__(self, tables: Mapping[str, str]) -> None:
        self.lists = tables["destruction_lists"]
        self.cases = tables["destruction_list_cases"]

    def recent(
        self, tx: Tx, *, limit: int = 100, kind: str | None = None
    ) -> list[ListRow]:
        """The lists, newest first (certificates: the completed ones)."""
        where, params = ("", []) if kind is None else (" WHERE kind = %s", [kind])
        rows = tx.fetchall(
            "SELECT "
            + ", ".join(LIST_COLUMNS)
            + " FROM {t}"
            + where
            + " ORDER BY proposed_at DESC, list_id LIMIT %s",
            [*params, limit],
            t=self.lists,
        )
        return [ListRow(*r) for r in rows]

    def cases_on_open_lists(self, tx: Tx) -> set[str]:
        """Cases still waiting on a list not completed: not to be proposed again."""
        rows = tx.fetchall(
            "SELECT c.case_id FROM {c} c JOIN {l} l ON l.list_id = c.list_id"
            " WHERE l.state <> %s AND c.state = 'listed'",
            [str(ListState.COMPLETED)],
            c=self.cases,
            l=self.lists,
        )
        return {str(r[0]) for r in rows}


DestructionListsProjection.view_class = DestructionListsView
