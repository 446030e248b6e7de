"""Valid identifiers for tests, with their check digits computed (never real people's numbers)."""

from __future__ import annotations

import datetime as dt

from stdnum import luhn
from stdnum.cn import ric, uscc

# Region prefixes that stdnum knows (咸宁市 and its counties, 武汉, 北京).
REGIONS = ["421202", "421221", "421222", "421223", "421224", "421281", "420102", "110105"]


def make_id(region: str = "421202", birth: dt.date = dt.date(1990, 1, 2), seq: int = 123) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def make_card(prefix: str = "622202", length: int = 19, fill: int = 1234567) -> str:
    body = (prefix + str(fill).rjust(length - len(prefix) - 1, "0"))[: length - 1]
    return body + luhn.calc_check_digit(body)


def make_uscc(body: str = "91421200MA4K0000A") -> str:
    return body + uscc.calc_check_digit(body)
