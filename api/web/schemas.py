"""Request and response models that more than one route module uses."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel, Field

from api.service.errors import InvalidInput, TooLarge


class Problem(BaseModel):
    detail: str = Field(description="one line saying what is wrong")


def answers(**described: str) -> dict[int | str, dict[str, Any]]:
    """Documented error answers, e.g. ``answers(e404="no such issuer")``."""
    return {int(code[1:]): {"model": Problem, "description": text}
            for code, text in described.items()}


class CredentialSummary(BaseModel):
    id: str
    state: str
    status: str
    statusIndex: int
    achievementType: str
    achievementName: str
    fieldOfStudy: str | None
    creditsEarned: float | None
    creditUnit: str | None = Field(None, description="credit, hour or point; None: untyped")
    sector: str | None = Field(None, description="the figure's sector, when typed")
    issuedAt: str
    anchoredAt: str | None


# ---- the credit bank's registry -----------------------------------------------------------

class Publication(BaseModel):
    kind: str = Field(description="framework, standards or rule_set")
    subject: str
    documentHash: str = Field(description="hex32 SHA-256 of the canonical JSON")
    transactionHash: str | None
    blockNumber: int | None
    publishedAt: str


class RuleSetOut(BaseModel):
    id: str
    version: str
    state: str = Field(description="draft, published or withdrawn")
    hash: str = Field(description="RuleSet.hash(): hex32 SHA-256 of the canonical JSON")
    owner: str = Field(description="authority or programme")
    programme: str | None
    document: dict[str, Any] = Field(description="the rule set, normalized (docs/creditbank.md)")
    createdAt: str
    updatedAt: str
    publication: Publication | None


# A registry document in a request: the JSON the verifier.credit readers take.
DOCUMENT_BODY = {"type": "object", "additionalProperties": True}
PUBLISH_ANSWERS = {
    "e409": "not a draft, changed meanwhile, or the registry refused; nothing changed",
    "e503": "no chain, no usable governor key, or the institution not connected to the "
            "chain; nothing changed",
}
MAX_CSV_BYTES = 8 << 20


def csv_body(description: str) -> dict[str, Any]:
    """The OpenAPI requestBody of a route that reads CSV text (see read_csv)."""
    return {"required": True, "description": description,
            "content": {"text/csv": {"schema": {"type": "string"}}}}


async def read_csv(request: Request) -> str:
    """A request body of CSV text: UTF-8, at most MAX_CSV_BYTES."""
    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        raise TooLarge(f"at most {MAX_CSV_BYTES} bytes of CSV")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the CSV is not UTF-8") from None
