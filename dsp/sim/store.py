"""The results table of a sweep: a CSV file rewritten atomically each time a point finishes.

Every row carries a ``key`` (a hash of everything that determines its counts), so that
``resume=True`` reuses exactly the points an interrupted run finished and recomputes nothing.
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader (or a crash) sees the old or the new file, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def rows_to_csv(rows: list[dict], columns: list[str]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


class ResultStore:
    """Rows by key, kept in ``path`` (CSV). With ``resume``, rows already in the file are loaded."""

    def __init__(self, path, resume: bool = False):
        self.path = Path(path)
        self.rows: dict[str, dict] = {}
        self.columns: list[str] = []
        if resume and self.path.exists():
            with open(self.path, newline="") as f:
                reader = csv.DictReader(f)
                if reader.fieldnames is None or "key" not in reader.fieldnames:
                    raise ValueError(f"cannot resume from {self.path}: not a dci-dsp results file (no 'key' column)")
                for row in reader:
                    self.rows[row["key"]] = row

    def get(self, key: str) -> dict | None:
        return self.rows.get(key)

    def put(self, key: str, row: dict, order: list[str], columns: list[str]) -> None:
        """Add or replace a row, then rewrite the file with the rows of ``order`` (keys), in that order."""
        self.rows[key] = row
        self.write(order, columns)

    def write(self, order: list[str], columns: list[str]) -> None:
        self.columns = columns
        atomic_write_text(self.path, rows_to_csv([self.rows[k] for k in order if k in self.rows], columns))
