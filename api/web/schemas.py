"""Request and response models that more than one route module uses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


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
