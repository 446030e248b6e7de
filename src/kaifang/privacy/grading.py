"""Grade suggestions (china-standards.md §3.1, §3.2, §3.4).

A field's GB/T 43697 level is the highest level of the personal information found in it (敏感个人信息 →
一般数据4级; 个人信息 → 3级, weaker quasi-identifiers → 2级; nothing found → 1级), and the dataset's level
is the highest over its fields (就高从严), raised to 重要数据 or 核心数据 where the dataset shows one of
GB/T 43697 附录G's identification factors (`importance.py`: what it describes, at what precision and
scale). The officer confirms every suggestion and may override it with a reason. The default open
attribute follows `catalog.rules.default_open_attribute`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kaifang.catalog.choices import GRADE_ORDER, Grade
from kaifang.catalog.rules import default_open_attribute, max_grade
from kaifang.privacy import importance
from kaifang.privacy import kinds as K

if TYPE_CHECKING:
    from kaifang.privacy.recognizers import ColumnReport, TableReport

MIN_CONFIDENCE = 0.5


def _max_sensitivity(values: list[str]) -> str:
    return max(values, key=K.Sensitivity.ORDER.__getitem__) if values else K.Sensitivity.NON_PERSONAL


def grade_kinds(detected: list[tuple[str, float]]) -> tuple[str, str, list[str]]:
    """(grade, sensitivity, reasons) for the kinds found in one field, with their confidences."""
    grades, sens, reasons = [], [], []
    for kind, conf in detected:
        info = K.KINDS.get(kind)
        if info is None or conf < MIN_CONFIDENCE:
            continue
        grades.append(str(info.grade))
        sens.append(info.sensitivity)
        reasons.append(f"{info.label}（置信度{conf:.2f}）：{info.reason}")
    if not grades:
        return Grade.G1.value, K.Sensitivity.NON_PERSONAL, ["未发现个人信息"]
    return max_grade(grades), _max_sensitivity(sens), reasons


def grade_column(report: ColumnReport) -> ColumnReport:
    grade, sensitivity, reasons = grade_kinds([(k.kind, k.confidence) for k in report.kinds])
    report.grade, report.sensitivity, report.reasons = grade, sensitivity, reasons
    return report


def grade_table(report: TableReport, dataset: Any = None) -> TableReport:
    """The table's level: the highest of its fields (就高从严), raised by the 附录G factors that the dataset's
    metadata, fields and scale show (`importance.identify`; without a dataset, by the scale alone)."""
    if report.refused:
        report.grade = Grade.G4.value
        report.sensitivity = K.Sensitivity.SENSITIVE
        report.reasons = [report.refused, "无法扫描时按最严格处理（就高从严）"]
        report.open_attribute = default_open_attribute(report.grade)
        return report
    grades = [c.grade for c in report.columns if c.grade]
    report.grade = max_grade(grades)
    report.sensitivity = _max_sensitivity([c.sensitivity for c in report.columns if c.sensitivity])
    reasons = []
    top = [c for c in report.columns if c.grade == report.grade and c.grade != Grade.G1]
    if top:
        names = "、".join(c.name for c in top[:5])
        reasons.append(f"按就高从严，取字段最高级别：{names}")
    else:
        reasons.append("各字段均未发现个人信息；请按业务影响确认级别")
    for finding in importance.identify(dataset, report):
        report.grade = max_grade([report.grade, finding.level])
        reasons.append(finding.reason)
    direct = {
        k for c in report.columns for k in c.detected if K.KINDS.get(k) is not None and K.KINDS[k].identifier
    }
    sensitive_attrs = {k for c in report.columns for k in c.detected if k == K.HEALTH}
    if direct and sensitive_attrs:
        reasons.append("同一表中既有直接标识符又有健康信息，去标识化前不得开放")
    report.reasons = reasons
    report.open_attribute = default_open_attribute(report.grade)
    return report


def suggestion(report: TableReport) -> dict[str, Any]:
    """The suggestion as the review page and the API show it."""
    from kaifang.catalog.choices import OpenAttribute, label_of

    return {
        "grade": report.grade,
        "grade_label": label_of(Grade, report.grade),
        "sensitivity": report.sensitivity,
        "sensitivity_label": str(K.Sensitivity.LABELS.get(report.sensitivity, report.sensitivity)),
        "open_attribute": report.open_attribute,
        "open_attribute_label": label_of(OpenAttribute, report.open_attribute),
        "reasons": report.reasons,
        "fields": [
            {
                "name": c.name,
                "grade": c.grade,
                "grade_label": label_of(Grade, c.grade),
                "sensitivity": c.sensitivity,
                "open_attribute": default_open_attribute(c.grade),
                "reasons": c.reasons,
            }
            for c in report.columns
        ],
    }


def grade_after_profile(report: TableReport, profile: Any) -> str:
    """The level of the open version once the profile's rules are applied: a field whose identifiers are
    masked, pseudonymized, generalized or suppressed drops to 2级 (de-identified), others keep theirs."""
    from kaifang.privacy.masking import REMOVES_IDENTIFIER

    grades = []
    for c in report.columns:
        action = profile.rule(c.name).get("action", "keep")
        if action == "suppress":
            continue
        if REMOVES_IDENTIFIER.get(action) and GRADE_ORDER[c.grade] > GRADE_ORDER[Grade.G2]:
            grades.append(Grade.G2.value)
        else:
            grades.append(c.grade)
    return max_grade(grades)


def suggest_rules(report: TableReport) -> dict[str, dict[str, Any]]:
    """A starting publication profile from the detections (the officer edits it): the usual masking form
    where there is one, pseudonymization for travel documents, suppression for bank cards, generalization
    for birth dates, addresses and a person's coordinates."""
    import re

    by_kind: dict[str, dict[str, Any]] = {
        K.ID_CARD: {"action": "mask", "kind": K.ID_CARD},
        K.MOBILE: {"action": "mask", "kind": K.MOBILE},
        K.LANDLINE: {"action": "mask", "kind": K.LANDLINE},
        K.BANK_CARD: {"action": "suppress"},
        K.NAME: {"action": "mask", "kind": K.NAME},
        K.EMAIL: {"action": "mask", "kind": K.EMAIL},
        K.ADDRESS: {"action": "generalize_address", "level": "township"},
        K.BIRTH_DATE: {"action": "generalize_date", "to": "year"},
        K.PASSPORT: {"action": "pseudonymize"},
        K.HK_MACAU_PERMIT: {"action": "pseudonymize"},
        K.TAIWAN_PERMIT: {"action": "pseudonymize"},
        K.PLATE: {"action": "mask", "kind": K.PLATE},
        K.USCC_INDIVIDUAL: {"action": "mask", "kind": K.USCC_INDIVIDUAL},
    }
    rules: dict[str, dict[str, Any]] = {}
    for c in report.columns:
        detected = c.detected
        # Identifiers inside free text, or in only a few values of a column, cannot be masked by a
        # per-value form: withhold the column.
        incidental = [
            k
            for k in detected
            if k in K.KINDS
            and K.KINDS[k].identifier
            and (c.free_text or (c.kind(k).hits < 0.8 * max(1, c.non_empty)))
        ]
        if incidental and not (set(detected) & {K.NAME} and c.kind(K.NAME).hits >= 0.8 * max(1, c.non_empty)):
            rules[c.name] = {"action": "suppress"}
            continue
        for kind in sorted(
            detected, key=lambda k: -GRADE_ORDER[str(K.KINDS[k].grade)] if k in K.KINDS else 0
        ):
            if kind == K.PERSON_COORDINATE:
                axis = "lat" if re.search(r"纬|lat", c.name, re.I) else "lng"
                rules[c.name] = {"action": "coordinate_grid", "axis": axis, "metres": 1000}
                break
            if kind in by_kind:
                rules[c.name] = dict(by_kind[kind])
                break
    return rules
