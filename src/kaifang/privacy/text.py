"""Personal identifiers in free text the public will read (a comment, a data request), masked the usual way
before it is stored (X5): a citizen who writes a mobile number or an ID number into a request does not publish
it. Names and addresses are not masked in free text: without a column to go by they are guesses, and a
guessed place name masked in a data request would make it unreadable. The department's own text (answers,
replies, with its public telephone numbers) is not passed through here."""

from __future__ import annotations

from kaifang.privacy import kinds as k
from kaifang.privacy.masking import mask_value, normalize_text
from kaifang.privacy.recognizers import scan_text

MASKED_KINDS = frozenset(
    {
        k.ID_CARD,
        k.MOBILE,
        k.LANDLINE,
        k.BANK_CARD,
        k.EMAIL,
        k.PASSPORT,
        k.HK_MACAU_PERMIT,
        k.TAIWAN_PERMIT,
        k.USCC_INDIVIDUAL,
        k.PLATE,
    }
)


def mask_identifiers(text: str) -> str:
    """`text` with every personal identifier replaced by its masked form (`139****5678`)."""
    if not text:
        return text
    normalized = normalize_text(text)
    # The recognizers read the normalized text (full-width digits made ASCII); where that kept every
    # character in place the original is masked, so its full-width punctuation stays as written.
    base = text if len(normalized) == len(text) else normalized
    findings = sorted(
        (f for f in scan_text(text) if f.kind in MASKED_KINDS and 0 <= f.start < f.end), key=lambda f: f.start
    )
    out, pos = [], 0
    for f in findings:
        if f.start < pos:
            continue
        raw = base[f.start : f.end]
        out.append(base[pos : f.start])
        out.append(mask_value(raw, f.kind) or "*" * len(raw))
        pos = f.end
    out.append(base[pos:])
    return "".join(out)
