"""The credential embedded in a certificate PDF: its attachment ``credential.json``.

A certificate (docs/api.md, "Certificates") embeds the exact JSON of the copy its page
shows as a PDF file attachment named ``credential.json``. This module takes it out with
pypdf (pure Python) and parses it as strictly as a JSON file (:mod:`.jsonio`); what is
printed on the page is never read.

Bounded like a JSON file: a PDF larger than :data:`MAX_PDF_BYTES` is refused before it is
read, and an attachment larger than :data:`jsonio.MAX_CREDENTIAL_BYTES` by its declared
size or as it is decoded (decompression stops one byte past the limit). A file that is
not a PDF, that pypdf cannot read, is encrypted, or has no such attachment (or more than
one) raises :class:`~verifier.errors.CredentialFormatError` with a one-line reason.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError

from . import jsonio
from .errors import CredentialFormatError

ATTACHMENT = "credential.json"
# A certificate is tens of kilobytes (subset fonts, a vector QR code); a copy that another
# program saved again, with whole fonts embedded, stays well under this.
MAX_PDF_BYTES = 16 << 20
_MAGIC = b"%PDF-"

# pypdf reports what it repairs in a damaged file as log warnings; without a handler of
# the application's own, Python would print them on stderr. The reason a file is refused
# is the one line this module raises.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


def is_pdf(data: bytes) -> bool:
    """Whether ``data`` starts like a PDF (the header may follow a little junk)."""
    return _MAGIC in data[:1024]


def extract(data: bytes) -> bytes:
    """The bytes of the ``credential.json`` attachment of the PDF ``data``."""
    if len(data) > MAX_PDF_BYTES:
        raise CredentialFormatError(f"PDF is {len(data)} bytes, larger than {MAX_PDF_BYTES}")
    if not is_pdf(data):
        raise CredentialFormatError("not a PDF")
    try:
        return _attachment(data)
    except CredentialFormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged PDF fails inside pypdf in many ways
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise CredentialFormatError(f"not a readable PDF ({reason})") from None


def _attachment(data: bytes) -> bytes:
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise CredentialFormatError("the PDF is encrypted")
    found = [entry for entry in reader.attachment_list
             if ATTACHMENT in (entry.name, entry.alternative_name)]
    if not found:
        raise CredentialFormatError(f"the PDF has no {ATTACHMENT} attachment "
                                    "(not a credbank certificate)")
    if len(found) > 1:
        raise CredentialFormatError(f"the PDF has {len(found)} {ATTACHMENT} attachments")
    entry = found[0]
    limit = jsonio.MAX_CREDENTIAL_BYTES
    declared = entry.size  # what the file specification says, when it says
    if declared is not None and declared > limit:
        raise CredentialFormatError(f"{ATTACHMENT} is {declared} bytes, larger than {limit}")
    # decoding stops one byte past the limit, whatever the filter
    bound = limit + 1
    try:
        with apply_configuration(
                zlib_maximum_output_length=bound, zlib_maximum_recovery_input_length=bound,
                lzw_maximum_output_length=bound, run_length_maximum_output_length=bound,
                brotli_maximum_output_length=bound, jbig2_maximum_output_length=bound,
                array_based_stream_maximum_output_length=bound):
            content = entry.content
    except LimitReachedError:
        raise CredentialFormatError(f"{ATTACHMENT} is larger than {limit} bytes once "
                                    "decompressed") from None
    if len(content) > limit:
        raise CredentialFormatError(f"{ATTACHMENT} is {len(content)} bytes, larger than "
                                    f"{limit}")
    return content


def loads(data: bytes) -> Any:
    """The credential embedded in the PDF ``data``, parsed strictly."""
    return jsonio.loads(extract(data))


def load_path(path: str | Path) -> Any:
    """Read a certificate PDF and parse its embedded credential, refusing oversize files
    before reading them."""
    return loads(jsonio.read_bounded(path, MAX_PDF_BYTES))
