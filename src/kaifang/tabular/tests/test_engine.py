"""The one DuckDB class: read-only, time limit, row cap; and nobody else opens DuckDB."""

from __future__ import annotations

import pathlib
import re

import pytest

from kaifang.tabular.engine import QueryFailed, QueryTimeout, TableEngine


@pytest.fixture
def parquet(tmp_path):
    (tmp_path / "tables").mkdir()
    path = tmp_path / "tables" / "t.parquet"
    TableEngine().write(
        lambda con: con.execute(f"COPY (SELECT range AS x FROM range(100000)) TO '{path}' (FORMAT parquet)")
    )
    return path


def test_row_cap_sets_truncated(parquet):
    r = TableEngine(max_rows=10).query("SELECT * FROM t", tables={"t": parquet})
    assert len(r.rows) == 10 and r.truncated
    r = TableEngine().query("SELECT count(*) FROM t", tables={"t": parquet})
    assert r.rows == [(100000,)] and not r.truncated


def test_no_file_access_outside_the_named_tables(parquet, tmp_path):
    other = tmp_path / "secret.csv"
    other.write_text("a\n1\n")
    with pytest.raises(QueryFailed):
        TableEngine().query(f"SELECT * FROM read_csv('{other}')", tables={"t": parquet})
    for sql in (
        f"COPY (SELECT 1) TO '{parquet.parent / 'out.csv'}'",
        "SET enable_external_access = true",
        "SELECT 1; SELECT 2",
        f"ATTACH '{tmp_path / 'x.db'}' AS x",
    ):
        with pytest.raises(QueryFailed):
            TableEngine().query(sql, tables={"t": parquet})
    assert not (parquet.parent / "out.csv").exists()


def test_time_limit_interrupts(parquet):
    slow = "SELECT count(*) FROM range(100000000000) a"
    with pytest.raises(QueryTimeout):
        TableEngine(time_limit=0.2).query(slow, tables={"t": parquet})


def test_only_the_engine_connects_to_duckdb():
    root = pathlib.Path(__file__).resolve().parents[3]  # src/
    pattern = re.compile(r"duckdb\s*\.\s*connect\s*\(")
    offenders = [
        str(p.relative_to(root.parent))
        for p in list(root.rglob("*.py")) + list((root.parent / "bench").rglob("*.py"))
        if pattern.search(p.read_text(encoding="utf-8")) and p.name != "engine.py" and "tests" not in p.parts
    ]
    assert offenders == [], "open DuckDB only through kaifang.tabular.engine.TableEngine"
    assert pattern.search((root / "kaifang" / "tabular" / "engine.py").read_text())
