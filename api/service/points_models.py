"""The tables of learning points (积分, docs/points.md; migration 0007): points rule sets,
the append-only points ledger, thresholds and the credentials they awarded.

Kept apart from models.py (same ``Base``, same metadata). Figures are integers in
millionths (``*_micro``) so that sums in SQL are exact on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base

MICRO = 10**6


class PointsRuleSet(Base):
    """A version of the points rules (verifier.credit.points): a draft until published,
    immutable once published (its hash on chain, registry document kind 4)."""

    __tablename__ = "points_rules"
    __table_args__ = (UniqueConstraint("rules_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rules_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(Text)  # canonical JSON
    hash: Mapped[str] = mapped_column(String(66))
    state: Mapped[str] = mapped_column(String(16))  # draft | published
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("registry_publications.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


class PointsEntry(Base):
    """One line of a learner's points ledger. Append-only: the database refuses UPDATE and
    DELETE (triggers of migration 0007). ``source_key`` is unique: ``checkin:<id>``,
    ``credential:<id>`` or ``reversal:<entry id>``, so a source is credited once and an
    entry reversed once. A reversal carries the reversed entry's figures negated."""

    __tablename__ = "points_entries"
    __table_args__ = (Index("ix_points_entries_learner_sector", "learner_key", "sector"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_key: Mapped[str] = mapped_column(String(64))
    source_key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # checkin | credential | reversal
    checkin_id: Mapped[str | None] = mapped_column(ForeignKey("checkins.id"))
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"))
    rules_id: Mapped[str] = mapped_column(String(200))
    rules_version: Mapped[str] = mapped_column(String(200))
    rules_hash: Mapped[str] = mapped_column(String(66))
    sector: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16))  # what quantity counts: hour | credit | point
    quantity_micro: Mapped[int] = mapped_column(BigInteger)
    points_micro: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[str] = mapped_column(String(10))  # the day the learning counts on
    reason: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime]


class PointsThreshold(Base):
    """A total the authority rewards: ``amount`` hours or points (``measure``) in a sector
    earn a credential, issued by the credit bank once per learner."""

    __tablename__ = "points_thresholds"
    id: Mapped[int] = mapped_column(primary_key=True)
    sector: Mapped[str] = mapped_column(String(32))
    measure: Mapped[str] = mapped_column(String(16))  # hours | points
    amount_micro: Mapped[int] = mapped_column(BigInteger)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    description_zh: Mapped[str] = mapped_column(String(1000))
    description_en: Mapped[str] = mapped_column(String(1000))
    level: Mapped[str | None] = mapped_column(String(64))
    standard: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class PointsAward(Base):
    """The credential a threshold issued to a learner: one per learner per threshold."""

    __tablename__ = "points_awards"
    __table_args__ = (UniqueConstraint("threshold_id", "learner_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    threshold_id: Mapped[int] = mapped_column(ForeignKey("points_thresholds.id"))
    learner_key: Mapped[str] = mapped_column(String(64), index=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), unique=True)
    at: Mapped[datetime]
