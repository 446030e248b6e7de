"""The gate scans the open version's batches as they are written (issue 12): it must refuse exactly what a
scan of the written file, read back whole, refuses — the same decision, reasons, evidence and counts.

`reference_scan` is the gate's scan as it was before: every column of the file read back, batch by batch.
The tables are cut into small batches (BATCH_ROWS = 700) so that a few thousand rows cross several batch
and engine-chunk boundaries, and the per-batch shortcuts (random serials, saturated columns) come into play.
"""

import datetime as dt
import random
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaifang.privacy import gate as G
from kaifang.privacy import kinds as K
from kaifang.privacy.kanon import k_anonymity
from kaifang.privacy.masking import PublicationProfile
from kaifang.privacy.recognizers import name_hints, scan_text
from kaifang.privacy.tests.factories import make_card, make_id

KEY = b"f" * 32
SMALL_BATCHES = 700


def reference_scan(path, profile):
    """The gate before issue 12, over a written file: read back whole, every column, batch by batch."""
    out = G._Collector()
    pf = pq.ParquetFile(path)
    columns = pf.schema_arrow.names
    person = G._person_table(profile, columns)
    hints = {c: frozenset(name_hints(c)) for c in columns}
    grid = {
        c: bool(profile and profile.rule(c).get("action") in ("coordinate_grid", "suppress", "noise"))
        for c in columns
    }
    for c in columns:
        for f in scan_text(c):
            if G._is_identifier(f.kind, f.confidence):
                out.add(c, -1, f.kind, f.evidence, f.confidence)
    first = next(pf.iter_batches(batch_size=1000), None)
    if first is not None:
        G._infer_name_columns(first, hints)
    rows = 0
    for batch in pf.iter_batches(batch_size=G.BATCH_ROWS):
        for c, arr in zip(batch.schema.names, batch.columns, strict=True):
            G._scan_array(c, arr, rows, hints[c], person, grid[c], out)
        rows += batch.num_rows
    out.settle(hints)
    reasons = out.reasons()
    stats = {"rows": rows, "columns": len(columns), "findings": sum(out.counts.values()), "notes": out.notes}
    if profile is not None and profile.quasi_identifiers:
        present = [c for c in profile.quasi_identifiers if c in columns]
        sensitive = profile.sensitive_attribute if profile.sensitive_attribute in columns else ""
        ka = k_anonymity(
            path,
            present,
            k=profile.k,
            sensitive=sensitive,
            l_threshold=profile.l_diversity if sensitive else 0,
        )
        stats["k_anonymity"] = ka.as_dict()
        reasons += ka.reasons()
    return G.GateDecision(not reasons, reasons, out.evidence, stats)


# --- tables and profiles ---------------------------------------------------------------------------------------

SURNAMES = "张王李赵刘陈杨黄周吴"
GIVEN = ["伟", "芳", "小明", "建国", "秀英", "志强"]
TEXT = ["市民反映小区路灯不亮，已派单处理。", "道路积水已清理完毕。", "噪音扰民，已转交城管。"]
PLANTS = {
    "id": lambda r: make_id(seq=r % 1000),
    "mobile": lambda r: f"139{r:08d}",
    "fullwidth_mobile": lambda r: f"１３８{r:08d}".translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    ),
    "card": lambda r: make_card("622202", 19, r),
    "email": lambda r: f"user{r}@example.com",
}
ACTIONS = {
    "内容": [{"action": "keep"}, {"action": "suppress"}],
    "姓名": [{"action": "keep"}, {"action": "mask", "kind": "name"}, {"action": "pseudonymize"}],
    "身份证号": [{"action": "keep"}, {"action": "mask", "kind": "id_card"}, {"action": "pseudonymize"}],
    "手机": [{"action": "keep"}, {"action": "mask", "kind": "mobile"}, {"action": "suppress"}],
    "经度": [{"action": "keep"}, {"action": "coordinate_grid", "axis": "lng", "metres": 1000}],
    "出生日期": [{"action": "keep"}, {"action": "generalize_date", "to": "year"}],
    "流水号": [{"action": "keep"}],
    "电话": [{"action": "keep"}, {"action": "suppress"}],
    "col3": [{"action": "keep"}, {"action": "mask", "kind": "name"}],
}


def make_table(n, seed, *, columns, plants=()):
    """`n` rows of the chosen columns; `plants` = [(column, row, kind)] puts one identifier there."""
    rng = random.Random(seed)
    cols = {
        "内容": [rng.choice(TEXT) for _ in range(n)],
        "姓名": [rng.choice(SURNAMES) + rng.choice(GIVEN) for _ in range(n)],
        "身份证号": [make_id(seq=rng.randrange(1000)) for _ in range(n)],
        "手机": [f"13{rng.randrange(10**9):09d}" for _ in range(n)],
        "经度": [round(114 + rng.random(), 5) for _ in range(n)],
        "出生日期": [dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000)) for _ in range(n)],
        "流水号": [str(rng.randrange(6 * 10**15, 7 * 10**15)) for _ in range(n)],
        "电话": [
            13800000000 + rng.randrange(10**8) if rng.random() < 0.3 else rng.randrange(1000)
            for _ in range(n)
        ],
        "col3": [rng.choice(SURNAMES) + rng.choice(GIVEN) for _ in range(n)],
    }
    table = {c: cols[c] for c in columns}
    for column, row, kind in plants:
        if column in table and 0 <= row < n and column not in ("经度", "出生日期"):
            value = PLANTS[kind](row)
            if column == "电话":  # an integer column: a mobile number stored as a number
                value = 13900000000 + row
            table[column][row] = value if column != "内容" else f"来电人称{value}，请回电。"
    return pa.table(
        {c: pa.array(v, pa.date32()) if c == "出生日期" else pa.array(v) for c, v in table.items()}
    )


def gate_both_ways(tmp_path, table, profile):
    """The fused gate (publication's path) and the reference over the file it wrote and over the file the
    engine's COPY writes; both files must hold the same rows."""
    raw = tmp_path / "raw.parquet"
    pq.write_table(table, raw, row_group_size=1000)
    fused_out = tmp_path / "fused.parquet"
    copy_out = tmp_path / "copy.parquet"
    fused_out.unlink(missing_ok=True)
    copy_out.unlink(missing_ok=True)
    with mock.patch.object(G, "BATCH_ROWS", SMALL_BATCHES):
        fused = G.prepare_open_version(raw, fused_out, profile, key=KEY)
        G.write_open_version(raw, copy_out, profile, key=KEY)
        assert pq.read_table(fused_out).to_pylist() == pq.read_table(copy_out).to_pylist()
        for path in (fused_out, copy_out):
            assert fused.as_dict() == reference_scan(path, profile).as_dict()
        # The review page's gate over a stored file (only the columns the scan can find anything in).
        assert G.check_publishable(fused_out, profile, already_applied=True).as_dict() == fused.as_dict()
    return fused


plants = st.lists(
    st.tuples(
        st.sampled_from(sorted(ACTIONS)),
        st.one_of(st.sampled_from([0, SMALL_BATCHES - 1, SMALL_BATCHES, -1]), st.integers(0, 3000)),
        st.sampled_from(sorted(PLANTS)),
    ),
    max_size=4,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.sampled_from([1, SMALL_BATCHES - 1, SMALL_BATCHES, SMALL_BATCHES + 1, 2500]),
    seed=st.integers(0, 10**6),
    columns=st.lists(st.sampled_from(sorted(ACTIONS)), min_size=1, max_size=6, unique=True),
    choices=st.lists(st.integers(0, 2), min_size=9, max_size=9),
    plants=plants,
    quasi=st.booleans(),
)
def test_property_the_fused_gate_decides_as_a_scan_of_the_written_file(
    tmp_path, n, seed, columns, choices, plants, quasi
):
    plants = [(c, n - 1 if r == -1 else r, kind) for c, r, kind in plants]
    table = make_table(n, seed, columns=columns, plants=plants)
    fields = {c: ACTIONS[c][i % len(ACTIONS[c])] for c, i in zip(sorted(ACTIONS), choices, strict=True)}
    profile = PublicationProfile(
        fields={c: r for c, r in fields.items() if c in columns},
        quasi_identifiers=["出生日期"] if quasi and "出生日期" in columns else [],
        k=2,
    )
    gate_both_ways(tmp_path, table, profile)


# --- the cases the issue names ---------------------------------------------------------------------------------

MASKED = PublicationProfile(
    fields={
        "姓名": {"action": "mask", "kind": "name"},
        "身份证号": {"action": "pseudonymize"},
        "手机": {"action": "mask", "kind": "mobile"},
        "经度": {"action": "coordinate_grid", "axis": "lng", "metres": 1000},
        "出生日期": {"action": "generalize_date", "to": "year"},
    }
)
ALL = ["内容", "姓名", "身份证号", "手机", "经度", "出生日期"]


def test_an_identifier_in_the_last_row_of_the_last_batch_is_refused(tmp_path):
    n = 3 * SMALL_BATCHES + 17
    d = gate_both_ways(tmp_path, make_table(n, 1, columns=ALL, plants=[("内容", n - 1, "id")]), MASKED)
    assert not d.allowed
    assert [(e["column"], e["row"], e["kind"]) for e in d.evidence] == [("内容", n, K.ID_CARD)]


def test_an_identifier_in_a_column_masking_did_not_touch_is_refused(tmp_path):
    table = make_table(2500, 2, columns=[*ALL, "电话"], plants=[("电话", 1234, "mobile")])
    d = gate_both_ways(tmp_path, table, MASKED)
    assert not d.allowed and {(e["column"], e["kind"]) for e in d.evidence} == {("电话", K.MOBILE)}


def test_identifiers_in_columns_whose_rule_makes_them_safe_pass(tmp_path):
    plants = [("身份证号", 5, "id"), ("手机", SMALL_BATCHES, "mobile"), ("姓名", 2000, "card")]
    d = gate_both_ways(tmp_path, make_table(2500, 3, columns=ALL, plants=plants), MASKED)
    assert d.allowed, d.reasons
    # The same rows unmasked are refused, by both paths.
    d = gate_both_ways(tmp_path, make_table(2500, 3, columns=ALL, plants=plants), PublicationProfile())
    assert not d.allowed
    assert {"身份证号", "手机", "姓名"} <= {e["column"] for e in d.evidence}


def test_a_column_that_saturates_and_random_serials_decide_alike(tmp_path):
    # Every row a mobile (stops at the cap, batch by batch) and 2,500 random serials (called random after
    # 2,000, batch by batch) with one valid ID among them.
    table = make_table(2500, 4, columns=["手机", "流水号"], plants=[("流水号", 2400, "id")])
    d = gate_both_ways(tmp_path, table, PublicationProfile())
    assert not d.allowed
    assert d.stats["findings"] >= G.FINDINGS_CAP_PER_COLUMN


def test_the_python_rules_path_is_fused_too(tmp_path):
    table = pa.table(
        {"住址": ["湖北省咸宁市咸安区温泉街道金桂路12号3栋2单元301室"] * 900, "备注": ["无"] * 900}
    )
    table = table.set_column(1, "备注", pa.array(["无"] * 899 + ["请联系13812345678"]))
    profile = PublicationProfile(fields={"住址": {"action": "generalize_address", "level": "district"}})
    d = gate_both_ways(tmp_path, table, profile)
    assert not d.allowed and [(e["column"], e["row"]) for e in d.evidence] == [("备注", 900)]


def test_an_empty_open_version_is_written_and_passes(tmp_path):
    d = gate_both_ways(tmp_path, make_table(0, 5, columns=ALL), MASKED)
    assert d.allowed and d.stats["rows"] == 0
    assert set(pq.read_schema(tmp_path / "fused.parquet").names) == set(ALL)


def test_in_memory_tables_are_scanned_as_written(tmp_path):
    table = make_table(1500, 6, columns=ALL, plants=[("内容", 1499, "email"), ("内容", 700, "card")])
    with mock.patch.object(G, "BATCH_ROWS", SMALL_BATCHES):
        d = G.check_publishable(table, MASKED, key=KEY)
        raw = tmp_path / "raw.parquet"
        pq.write_table(table, raw)
        copy = tmp_path / "copy.parquet"
        G.write_open_version(raw, copy, MASKED, key=KEY)
        assert d.as_dict() == reference_scan(copy, MASKED).as_dict()
    assert not d.allowed and {e["row"] for e in d.evidence} == {1500, 701}


def test_a_failing_write_fails_the_gate(tmp_path, monkeypatch):
    def broken(self, table, row_group_size=None):
        raise OSError("disk full")

    raw = tmp_path / "raw.parquet"
    pq.write_table(make_table(100, 7, columns=ALL), raw)
    monkeypatch.setattr(pq.ParquetWriter, "write_table", broken)
    with pytest.raises(OSError, match="disk full"):
        G.prepare_open_version(raw, tmp_path / "open.parquet", MASKED, key=KEY)
