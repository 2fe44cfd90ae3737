"""The tables of anchored attendance (docs/format.md §15): versions of the venue register,
venue-days closed into Merkle trees, and the entries in them, on the same ``Base`` as
:mod:`api.service.models` (the migrations' metadata imports this module too)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base


class VenueRegister(Base):
    """A version of the authority's venue register: its items (canonical JSON,
    ``{"venues": [...]}``) and the hash of its tree's manifest (verifier.attendance),
    published on chain (document kind 7) the first time a venue-day cites it."""

    __tablename__ = "venue_registers"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_hash: Mapped[str] = mapped_column(String(66), unique=True)
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    transaction_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    published_at: Mapped[datetime | None]


class AttendanceDay(Base):
    """A venue-day's check-ins closed into a Merkle tree: its manifest (canonical JSON)
    published on chain (document kind 6). ``part`` 1 is the day itself; check-ins that
    reach the service after the day was anchored form part 2, 3, … ``state``: ``pending``
    (closed, not yet on chain: the background pass retries) or ``anchored``."""

    __tablename__ = "attendance_days"
    __table_args__ = (UniqueConstraint("venue_id", "day", "part",
                                       name="uq_attendance_days_venue_day_part"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    day: Mapped[str] = mapped_column(String(10))
    part: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(66))
    register_id: Mapped[int] = mapped_column(ForeignKey("venue_registers.id"))
    manifest: Mapped[str] = mapped_column(Text)
    manifest_hash: Mapped[str] = mapped_column(String(66), unique=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    closed_at: Mapped[datetime]
    transaction_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    anchored_at: Mapped[datetime | None]


class AttendanceEntry(Base):
    """One check-in as anchored: its leaf data (canonical JSON, fixed at closing even if the
    check-in changes later) and the salt of its learner commitment, which only the
    learner's attendance record reveals. A check-in is in at most one venue-day tree."""

    __tablename__ = "attendance_entries"
    checkin_id: Mapped[str] = mapped_column(ForeignKey("checkins.id"), primary_key=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("attendance_days.id"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    salt: Mapped[str] = mapped_column(String(66))
    entry: Mapped[str] = mapped_column(Text)
