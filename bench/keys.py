"""Key rotation (issue 13, "Figures"): how long wrapping every case key under a new
key-encryption key epoch takes for 100,000 cases, on PostgreSQL.

    python bench/keys.py [--cases 100000] [--keep]

A fresh schema (bench/_common.py) and a KEK file in a temporary directory; the
cases' key rows are inserted directly (the bulk loader's COPY path, without
events: rotation reads and writes only the key table). Then `StoreKeyRing.rotate`
as `dossier keys rotate` runs it, timed, twice (the second finds every key
under the epoch before); baseline in the same run: one scan of the whole key
table (what reading every key costs without unwrapping or writing).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

from _common import bench_run, print_table, say, write_results

from domain.sealing import KeyRing
from dossier.bootstrap import build_service
from storage.keyrings import StoreKeyRing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the schema")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as keys_dir,
        bench_run("keys", keep=args.keep) as run,
    ):
        settings = run.settings.model_copy(
            update={"kek_file": Path(keys_dir) / "kek.json"}
        )
        service = build_service(settings)
        try:
            keyring = service.keyring
            assert isinstance(keyring, StoreKeyRing)
            say(f"inserting {args.cases:,} wrapped case keys")
            for start in range(0, args.cases, 10_000):
                n = min(10_000, args.cases - start)
                keys = {uuid4(): KeyRing.new_key() for _ in range(n)}
                service.recorder.insert_bulk([], keyring.stored(keys))  # type: ignore[attr-defined]
            with run.connect() as conn:
                conn.execute("VACUUM ANALYZE case_keys")
                began = time.perf_counter()
                conn.execute("SELECT count(*), sum(length(key)) FROM case_keys")
                scan = time.perf_counter() - began
            now = datetime.now(UTC)
            rows = []
            for label in ("rotation", "rotation again"):
                began = time.perf_counter()
                rotation = keyring.rotate(now, timedelta(days=35))
                seconds = time.perf_counter() - began
                rows.append(
                    {
                        "step": label,
                        "keys": rotation.rewrapped,
                        "seconds": round(seconds, 2),
                        "keys/s": round(rotation.rewrapped / seconds),
                        "x scan": round(seconds / scan, 1),
                    }
                )
            rows.append(
                {
                    "step": "scan (baseline)",
                    "keys": args.cases,
                    "seconds": round(scan, 3),
                    "keys/s": round(args.cases / scan),
                    "x scan": 1.0,
                }
            )
        finally:
            service.close()
        headers = ["step", "keys", "seconds", "keys/s", "x scan"]
        print_table(
            f"Key rotation, {args.cases:,} case keys on PostgreSQL",
            headers,
            [[row[h] for h in headers] for row in rows],
        )
        say(f"results: {write_results(run, {'cases': args.cases, 'rows': rows})}")


if __name__ == "__main__":
    main()
