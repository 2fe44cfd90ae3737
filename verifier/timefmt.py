"""XML Schema dateTime values as VC 2.0 uses them (always with a time zone)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from .errors import CredentialFormatError

# China's time (Asia/Shanghai): UTC+8 all year since 1991, so a fixed offset is exact for
# every credential and needs no time-zone database.
CHINA = timezone(timedelta(hours=8), "CST")

_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
)


def parse(value: object, field: str) -> datetime:
    if not isinstance(value, str) or not _DATETIME.match(value):
        raise CredentialFormatError(f"{field} is not a dateTime with a time zone")
    text = value
    if "." in text:  # datetime keeps microseconds only
        head, _, rest = text.partition(".")
        digits = re.match(r"\d+", rest).group(0)  # type: ignore[union-attr]
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CredentialFormatError(f"{field} is not a valid date") from None


def format(moment: datetime) -> str:  # noqa: A001 - mirrors datetime's vocabulary
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> datetime:
    return datetime.now(UTC)
