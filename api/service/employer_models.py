"""The employers' tables, on :mod:`api.service.models`' ``Base``: verification requests and
learners' presentations (job-seeking verification, migration 0009), bulk check reports
(migration 0010)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, Employer


class PresentationRequest(Base):
    """An employer's verification request (求职认证), by a registered employer or a visitor
    (self-declared ``visitor_name``; a manage token, kept as its hash, reads the answers)."""

    __tablename__ = "presentation_requests"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, in the link
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"), index=True)
    visitor_name: Mapped[str | None] = mapped_column(String(200))
    manage_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    requirements: Mapped[list[Any]] = mapped_column(JSON)
    ask_name: Mapped[bool]
    accept: Mapped[list[str]] = mapped_column(JSON)  # gaps accepted: issuer, status
    challenge: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    employer: Mapped[Employer | None] = relationship(lazy="joined")


class Presentation(Base):
    """A learner's answer to a request: ``presented`` (``document``, the Verifiable
    Presentation), ``declined``, or ``withdrawn`` (the document erased)."""

    __tablename__ = "presentations"
    __table_args__ = (UniqueConstraint("request_id", "learner_id",
                                       name="uq_presentations_request_learner"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("presentation_requests.id"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # presented | declined | withdrawn
    document: Mapped[str | None] = mapped_column(Text)
    credential_ids: Mapped[list[str]] = mapped_column(JSON)
    name_revealed: Mapped[bool]
    verified_on_arrival: Mapped[bool | None]
    result_on_arrival: Mapped[str | None] = mapped_column(Text)  # the checks, as JSON
    created_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]


# ---- bulk checks: an employer's reports over many candidates (migration 0010) -------------


class BulkCheck(Base):
    """One bulk check of an employer's candidates: ``running`` (``done`` of ``total``
    checked) until ``done`` with the report's rows and summary as JSON, or ``failed``.

    Kept for ``bulk_check.RETENTION_DAYS`` (docs/hr.md): the rows hold candidates' names."""

    __tablename__ = "bulk_checks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # running | done | failed
    total: Mapped[int]
    done: Mapped[int]
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    summary: Mapped[dict[str, Any] | None]
    rows: Mapped[str] = mapped_column(Text)  # the rows as a JSON array (empty until done)
