"""The open (masked) version of a table version, and which file every reader is served.

At publication (`tabular.gate.privacy_gate`, before the publish transaction) `gate_and_write_open` writes
the open version with the dataset's publication profile applied and the catalog's closed fields
suppressed, gates exactly that file (every row, every column), and records the decision with the version
(`VersionGate`) in a transaction of its own, so a refusal is on record although nothing is published.
When it passes, the open object goes into the content-addressed store and the raw object is sealed into
the encrypted raw zone (`rawzone.py`).

From then on every read of the version — the data API, aggregates, downloads, previews, the column
profile, the diff — is served from the open object, for everyone, the department included (`as_served`).
The raw file is available only to the officers of the data's own department, as a download of the
decrypted raw zone object (`raw_chunks`). An unpublished version is sealed in the raw zone from upload
on (`tabular.gate.seal_at_rest`); staff who check it are served a masked preview written with the same
rules. Objects stored before sealing at upload existed are read from their plain store object.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kaifang.core.errors import DomainError, NotFound
from kaifang.privacy.gate import GateDecision, prepare_open_version
from kaifang.privacy.masking import PublicationProfile as ProfileRules


class VersionDestroyed(DomainError):
    status = 410
    code = "version_destroyed"


def _destroyed_error(version: Any) -> VersionDestroyed:
    return VersionDestroyed(
        _(
            "该数据版本（第%(n)s版）的数据文件已按保存期限或销毁决定销毁，无法再查询或下载；目录与版本记录仍保留。"
        )
        % {"n": version.number},
        code="version_destroyed",
    )


def is_destroyed(version: Any) -> bool:
    from kaifang.privacy.models import VersionDestruction

    return VersionDestruction.objects.filter(version_id=version.pk).exists()


def open_gate(version: Any) -> Any:
    """The passing gate record whose open object serves the version, or None. Read on every data call:
    the evidence and reasons (the review page's) are not loaded, and `destroyed` comes with it."""
    from django.db.models import Exists, OuterRef

    from kaifang.privacy.models import VersionDestruction, VersionGate

    return (
        VersionGate.objects.filter(version_id=version.pk, allowed=True)
        .exclude(open_key="")
        .annotate(destroyed=Exists(VersionDestruction.objects.filter(version_id=OuterRef("version_id"))))
        .defer("evidence", "reasons", "rules", "stats")
        .order_by("-id")
        .first()
    )


def publication_rules(version: Any) -> tuple[ProfileRules, list[str], Any]:
    """The profile the open version is written with: the dataset's rules, plus suppression of every
    column whose field the catalog marks 不予开放. Returns (rules, withheld columns, profile record)."""
    from kaifang.privacy.selectors import current_profile_record
    from kaifang.tabular.permissions import open_columns_visible_to

    record = current_profile_record(version.dataset)
    declared = ProfileRules.from_json(record.rules) if record else ProfileRules()
    public = {c["name"] for c in open_columns_visible_to(version.dataset, version)}
    withheld = [c["name"] for c in version.schema if c["name"] not in public]
    rules = ProfileRules(
        fields={**declared.fields, **{c: {"action": "suppress"} for c in withheld}},
        quasi_identifiers=[c for c in declared.quasi_identifiers if c not in withheld],
        sensitive_attribute="" if declared.sensitive_attribute in withheld else declared.sensitive_attribute,
        k=declared.k,
        l_diversity=declared.l_diversity,
        suppress_rows_below_k=declared.suppress_rows_below_k,
    )
    return rules, withheld, record


_SQL_TYPES = [
    ("is_string", "VARCHAR"),
    ("is_large_string", "VARCHAR"),
    ("is_integer", "BIGINT"),
    ("is_floating", "DOUBLE"),
    ("is_decimal", "DECIMAL(18,2)"),
    ("is_date", "DATE"),
    ("is_timestamp", "TIMESTAMP"),
    ("is_boolean", "BOOLEAN"),
]
_TYPE_CODE = {"VARCHAR": "C", "BIGINT": "I", "DOUBLE": "N", "DATE": "D", "TIMESTAMP": "T", "BOOLEAN": "L"}


def _sql_type(arrow_type: Any) -> str:
    import pyarrow as pa

    for test, sql in _SQL_TYPES:
        if getattr(pa.types, test)(arrow_type):
            return sql
    return "VARCHAR"


def open_schema(version: Any, path: Path) -> list[dict[str, Any]]:
    """The version's schema entries for the columns the open object holds, retyped where masking changed
    the type (a date generalized to a year is text)."""
    import pyarrow.parquet as pq

    by_name = {c["name"]: c for c in version.schema}
    out = []
    for f in pq.read_schema(path):
        if f.name == "_id":
            continue
        col = dict(by_name.get(f.name) or {"name": f.name, "type": "C", "sql_type": "VARCHAR"})
        sql = _sql_type(f.type)
        if sql != col.get("sql_type"):
            col["sql_type"] = sql
            col["type"] = _TYPE_CODE.get(sql, "C")
        out.append(col)
    return out


def open_profile(schema: list[dict[str, Any]], path: Path, row_count: int) -> dict[str, Any]:
    """The column profile (nulls, distinct, min/max, top values, histogram) of the open object."""
    from kaifang.tabular.engine import TableEngine, _literal_path
    from kaifang.tabular.ingest import profile_table

    def run(con: Any) -> dict[str, Any]:
        # A server path, quoted by the engine's own helper.
        con.execute(f"CREATE TEMP VIEW t AS SELECT * FROM read_parquet({_literal_path(path)})")  # noqa: S608
        try:
            return profile_table(con, schema, row_count)
        finally:
            con.execute("DROP VIEW t")

    return TableEngine().write(run, time_limit=600)


def _record(
    version: Any,
    actor: Any,
    decision: GateDecision,
    rules: ProfileRules,
    record: Any,
    opened: tuple[str, str, int] | None,
    schema: list[dict[str, Any]],
    profile: dict[str, Any],
) -> Any:
    from kaifang.core.audit import audit_record
    from kaifang.privacy.models import VersionGate

    open_key, open_sha, open_size = opened or ("", "", 0)
    with transaction.atomic():
        row = VersionGate.objects.create(
            version=version,
            allowed=decision.allowed,
            reasons=[str(r) for r in decision.reasons],
            evidence=decision.evidence,
            stats=_plain(decision.stats),
            rules=rules.to_json(),
            profile=record,
            raw_sha256=version.content_hash,
            open_key=open_key,
            open_sha256=open_sha,
            open_size=open_size,
            open_schema=schema,
            open_profile=_plain(profile),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action="privacy.gate_pass" if decision.allowed else "privacy.gate_refuse",
            target=version.dataset,
            reason="; ".join(row.reasons)[:500],
            after={
                "version": version.number,
                "raw_sha256": version.content_hash,
                "open_sha256": open_sha,
                "findings": decision.stats.get("findings", 0),
            },
        )
    return row


def _plain(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def gate_and_write_open(version: Any, *, actor: Any = None) -> GateDecision:
    """Write, gate and record the open version of `version` (see the module doc). Returns the decision."""
    from kaifang.privacy import rawzone
    from kaifang.privacy.masking import dataset_key
    from kaifang.tabular.store import get_store

    if is_destroyed(version):
        return GateDecision(False, [str(_destroyed_error(version).message)])
    if not version.store_key:
        return GateDecision(False, [_("该版本没有可审查的数据文件。")])
    rules, withheld, record = publication_rules(version)
    store = get_store()
    tmp = store.new_temp()
    try:
        with rawzone.raw_file(version.store_key, version.content_hash) as raw:
            decision = prepare_open_version(raw, tmp, rules, key=dataset_key(version.dataset_id))
        decision.stats["withheld_columns"] = withheld
        opened = None
        schema: list[dict[str, Any]] = []
        profile: dict[str, Any] = {}
        if decision.allowed:
            schema = open_schema(version, tmp)
            profile = open_profile(schema, tmp, version.row_count)
            opened = store.put(tmp)
    finally:
        tmp.unlink(missing_ok=True)
    _record(version, actor, decision, rules, record, opened, schema, profile)
    if decision.allowed:
        seal_raw(version)
    return decision


def seal_raw(version: Any) -> None:
    """Encrypt the version's raw object into the raw zone and remove the plain object, unless some open
    version is that same object (content addressing could make them one file)."""
    from kaifang.privacy import rawzone
    from kaifang.privacy.models import VersionGate
    from kaifang.tabular.store import get_store

    store = get_store()
    drop_previews(version.content_hash)  # an open version now exists: staff are served that
    # The raw object, and the quarantine file of rows set aside at ingest (raw values too).
    for key in (version.store_key, version.quarantine_key):
        plain = store.local_path(key) if key else None
        if plain is None or not plain.is_file():
            continue
        try:
            rawzone.seal(plain.stem, plain)
        except FileNotFoundError:
            continue  # another process sealed and removed it meanwhile
        if not VersionGate.objects.filter(open_key=key).exists():
            plain.unlink(missing_ok=True)


def served_path(version: Any) -> Path:
    """The Parquet file a read of `version` is served from (see `as_served`)."""
    path = getattr(version, "served_path", None)
    if path is not None:
        return path
    return _resolve(version)[0]


def _resolve(version: Any) -> tuple[Path | None, Any]:
    from kaifang.tabular.store import get_store

    store = get_store()
    gate = open_gate(version)
    if gate.destroyed if gate is not None else is_destroyed(version):
        raise _destroyed_error(version)
    if gate is not None:
        return store.local_path(gate.open_key), gate
    plain = store.local_path(version.store_key) if version.store_key else None
    if plain is None:
        raise NotFound(_("该数据资源尚无可查询的数据版本。"))
    if plain.is_file():
        return plain, None  # ingested before raw objects were sealed at upload
    from kaifang.privacy import rawzone

    if version.content_hash and rawzone.sealed_path(version.content_hash).is_file():
        return None, None  # unpublished: sealed in the raw zone, served as a masked preview
    raise NotFound(_("该数据资源尚无可查询的数据版本。"))


def as_served(version: Any, actor: Any = None, *, strict: bool = True, preview: bool = True) -> Any:
    """The version as its readers see it: with an open object, its schema, column profile, hash and size
    replace the raw ones on this (unsaved) instance and `served_path` points at it. A version without one
    (not yet published) has its raw object sealed in the raw zone since upload: every reader, the
    department included, is served a masked preview written with the publication rules (`preview=False`:
    metadata only, no file is written); the department's officers keep the raw column profile and download
    the raw file itself. The problem-row report (raw values) is left out for anyone but the department's
    officers. VersionDestroyed (410) for a version whose files were destroyed (with `strict=False` the
    version's record is returned as it is, and a read of its data raises)."""
    raw_reader = may_read_raw(actor, version.dataset)
    if not raw_reader:
        version.bad_rows = []
    try:
        path, gate = _resolve(version)
        if gate is None and not raw_reader:
            version.profile = {}  # the raw column profile holds raw values (top values, min, max)
        if gate is None and (path is None or not raw_reader) and preview:
            path, version.schema = _masked_preview(version)
    except DomainError:
        if strict:
            raise
        if not raw_reader:
            version.profile = {}  # destroyed or unreadable: its raw column profile is not shown either
        return version
    version.served_path = path
    if gate is not None:
        version.schema = gate.open_schema
        version.profile = gate.open_profile
        version.content_hash = gate.open_sha256
        version.byte_size = gate.open_size
    return version


def _preview_dir() -> Path:
    from kaifang.tabular.store import get_store

    # Under the store's objects, so the engine's shared reader may open it; never served as a store key.
    return get_store().root / "objects" / "previews"


def _masked_preview(version: Any) -> tuple[Path, list[dict[str, Any]]]:
    """The version written with its publication rules (closed fields suppressed), for staff outside the
    department who check an unpublished version. Cached per (raw hash, rules); not gated, never public."""
    import hashlib
    import json

    from kaifang.privacy import rawzone
    from kaifang.privacy.gate import write_open_version
    from kaifang.privacy.masking import dataset_key
    from kaifang.tabular.store import get_store

    rules, _withheld, _record = publication_rules(version)
    digest = hashlib.sha256(json.dumps(rules.to_json(), sort_keys=True).encode()).hexdigest()[:16]
    dest = _preview_dir() / f"{version.content_hash}-{digest}.parquet"
    if not dest.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = get_store().new_temp()
        try:
            with rawzone.raw_file(version.store_key, version.content_hash) as raw:
                write_open_version(raw, tmp, rules, key=dataset_key(version.dataset_id))
            tmp.replace(dest)
        finally:
            tmp.unlink(missing_ok=True)
    return dest, open_schema(version, dest)


def drop_previews(content_hash: str) -> list[Path]:
    """Remove the masked previews of a raw object (at sealing and destruction)."""
    out = []
    if content_hash:
        for p in _preview_dir().glob(f"{content_hash}-*.parquet"):
            p.unlink(missing_ok=True)
            out.append(p)
    return out


def may_read_raw(actor: Any, dataset: Any) -> bool:
    """Only the officers of the data's own department read the raw (un-masked) file."""
    from kaifang.core.actors import roles_of

    return dataset.department_id in roles_of(actor).officer_department_ids


def raw_chunks(actor: Any, version: Any) -> Any:
    """The raw Parquet of a version as a stream of bytes, for the officers of its own department only
    (NotFound for anyone else, as for a missing version): the plain object while it exists, else the raw
    zone object decrypted chunk by chunk (nothing decrypted touches the disk)."""
    from kaifang.privacy import rawzone
    from kaifang.tabular.models import TableVersion
    from kaifang.tabular.store import get_store

    if not may_read_raw(actor, version.dataset) or not version.store_key:
        raise NotFound()
    if is_destroyed(version):
        raise _destroyed_error(version)
    # The stored hash: the instance may be `as_served`, which shows the open object's.
    digest = TableVersion.objects.values_list("content_hash", flat=True).get(pk=version.pk)
    plain = get_store().local_path(version.store_key)
    if plain.is_file():
        return digest, _file_chunks(plain)
    sealed = rawzone.sealed_path(digest)
    if not sealed.is_file():
        raise NotFound()
    return digest, rawzone.decrypt_chunks(sealed)


def _file_chunks(path: Path) -> Any:
    with open(path, "rb") as fh:
        while data := fh.read(1024 * 1024):
            yield data
