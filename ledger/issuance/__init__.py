"""Issuing credentials: input records, the issuer's identity, documents, signing, batches."""

from .batch import BatchResult, issue_batch
from .inputs import LearningRecord
from .issuer import IssuerError, IssuerIdentity
from .records import read_records
from .signing import attach_anchor, issue_one, sign_document

__all__ = [
    "BatchResult",
    "IssuerError",
    "IssuerIdentity",
    "LearningRecord",
    "attach_anchor",
    "issue_batch",
    "issue_one",
    "read_records",
    "sign_document",
]
