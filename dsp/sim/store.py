"""The results table of a sweep: a CSV (or Parquet) file rewritten atomically each time a point finishes.

A path ending in ``.parquet`` writes Parquet (needs ``pyarrow``: ``pip install "dci-dsp[parquet]"``)
with typed columns inferred from the same rows; anything else writes CSV. Every row carries a ``key`` (a hash of everything that determines its counts), so that
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
        self.parquet = self.path.suffix.lower() == ".parquet"
        if self.parquet:
            _pyarrow()
        if resume and self.path.exists():
            if self.parquet:
                rows = _read_parquet_rows(self.path)
                names = list(rows[0]) if rows else ["key"]
            else:
                with open(self.path, newline="") as f:
                    reader = csv.DictReader(f)
                    names, rows = reader.fieldnames, list(reader)
            if names is None or "key" not in names:
                raise ValueError(f"cannot resume from {self.path}: not a dci-dsp results file (no 'key' column)")
            for row in rows:
                self.rows[row["key"]] = row

    def get(self, key: str) -> dict | None:
        return self.rows.get(key)

    def put(self, key: str, row: dict, order: list[str], columns: list[str]) -> None:
        """Add or replace a row, then rewrite the file with the rows of ``order`` (keys), in that order."""
        self.rows[key] = row
        self.write(order, columns)

    def write(self, order: list[str], columns: list[str]) -> None:
        self.columns = columns
        text = rows_to_csv([self.rows[k] for k in order if k in self.rows], columns)
        if self.parquet:
            _atomic_write_parquet(self.path, text)
        else:
            atomic_write_text(self.path, text)


def _pyarrow():
    import importlib.util

    if importlib.util.find_spec("pyarrow") is None:
        raise ValueError("writing a .parquet results file needs pyarrow: pip install 'dci-dsp[parquet]' "
                         "(or write .csv)")


def _atomic_write_parquet(path: Path, csv_text: str) -> None:
    """The rows of ``csv_text`` as a Parquet table (column types inferred; JSON columns stay strings)."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    opts = pcsv.ConvertOptions(column_types={"key": "string", "params": "string", "histograms": "string",
                                             "metrics": "string", "swept": "string"}, strings_can_be_null=False)
    table = pcsv.read_csv(io.BytesIO(csv_text.encode()), convert_options=opts)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _read_parquet_rows(path: Path) -> list[dict]:
    """Rows of a Parquet results file with every value as the string the CSV would hold."""
    import pyarrow.parquet as pq

    def text(v):
        return "" if v is None else repr(v) if isinstance(v, float) else str(v)

    return [{k: text(v) for k, v in row.items()} for row in pq.read_table(path).to_pylist()]
