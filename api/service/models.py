"""The service's tables.

Secrets are never stored: API keys, learner passwords, session and share-link tokens are
kept as hashes. A learner is known by ``learner_key``, a keyed hash of the identity number
the institution sent (the raw number never reaches the database); credentials issued before
the learner opened an account join it by that key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and read back time-zone aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime reached the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


class Issuer(Base):
    """An institution the service issues for.

    Its signing keys and chain connection (anchoring account key, registry) live in its
    issuer directory (``credbank issuer create`` / ``credbank issuer connect``), keys 0600.
    """

    __tablename__ = "issuers"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    did: Mapped[str] = mapped_column(String(256), unique=True)
    name: Mapped[str] = mapped_column(String(512))
    directory: Mapped[str] = mapped_column(String(1024))
    next_status_index: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime]
    # the accreditation scope (deposits migration 0005): sectors, and the highest level
    # code with its rank in the framework it was set under; None: no scope
    scope_sectors: Mapped[list[str] | None] = mapped_column(JSON)
    scope_max_level: Mapped[str | None] = mapped_column(String(64))
    scope_max_level_rank: Mapped[int | None] = mapped_column(Integer)


class ApiKey(Base):
    """``cb_<key_id>_<secret>``: the id finds the row, the secret is checked by its hash."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    # "institution" | "governor" | "operator" (of a venue) | "employer"
    role: Mapped[str] = mapped_column(String(16))
    issuer_id: Mapped[int | None] = mapped_column(ForeignKey("issuers.id"))
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    issuer: Mapped[Issuer | None] = relationship()
    venue: Mapped[Venue | None] = relationship(lazy="joined")
    employer: Mapped[Employer | None] = relationship(lazy="joined")


class Learner(Base):
    __tablename__ = "learners"
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_key: Mapped[str] = mapped_column(String(64), unique=True)
    # the name a learner logs in with (a learning-account number, not the identity number)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime]


class LearnerSession(Base):
    __tablename__ = "learner_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Job(Base):
    """A batch issuance: its records are stored first, then signed row by row."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"))
    state: Mapped[str] = mapped_column(String(16))  # queued | running | done | failed
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class JobRecord(Base):
    """One accepted input row of a job, kept until its credential exists."""

    __tablename__ = "job_records"
    __table_args__ = (UniqueConstraint("job_id", "row"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"))
    row: Mapped[int] = mapped_column(Integer)
    record: Mapped[dict[str, Any]]
    credential_id: Mapped[str | None] = mapped_column(String(64))


class AnchorBatch(Base):
    """A batch root: ``prepared`` (credentials assigned, maybe sent) until ``anchored``."""

    __tablename__ = "anchor_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"))
    root: Mapped[str] = mapped_column(String(66), unique=True)
    count: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    transaction_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    anchored_at: Mapped[datetime | None]


class Credential(Base):
    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("issuer_id", "status_index"),
        Index("ix_credentials_pending", "state", "issuer_id"),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # urn:uuid:...
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"))
    learner_key: Mapped[str] = mapped_column(String(64), index=True)
    status_index: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))  # pending | anchored
    status: Mapped[str] = mapped_column(String(16), default="active")  # | revoked | suspended
    claims_root: Mapped[str] = mapped_column(String(66))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("anchor_batches.id"), index=True)
    document: Mapped[str] = mapped_column(Text)  # the full credential as JSON text
    achievement_type: Mapped[str] = mapped_column(String(64))
    achievement_name: Mapped[str] = mapped_column(String(512))
    field_of_study: Mapped[str | None] = mapped_column(String(256))
    credits: Mapped[float | None] = mapped_column(Float)
    # the figure's unit and sector (docs/format.md, "Typed credits"); None: an untyped figure
    credit_unit: Mapped[str | None] = mapped_column(String(16))
    credit_sector: Mapped[str | None] = mapped_column(String(32))
    issued_at: Mapped[datetime]
    anchored_at: Mapped[datetime | None]
    issuer: Mapped[Issuer] = relationship()


class StatusChange(Base):
    """Every revoke, suspend and reinstate, with its reason and transaction."""

    __tablename__ = "status_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
    transaction_hash: Mapped[str | None] = mapped_column(String(66))
    # the block that took the change (None when the chain already showed it: a retry)
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime]


class ShareLink(Base):
    __tablename__ = "share_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    reveal: Mapped[list[str]]
    expires_at: Mapped[datetime]
    max_views: Mapped[int | None] = mapped_column(Integer)
    views: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class ShareLinkView(Base):
    __tablename__ = "share_link_views"
    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("share_links.id"), index=True)
    at: Mapped[datetime]


# ---- the credit bank's registry (api/service/credit_registry.py) ---------------------------


class RegistryPublication(Base):
    """A registry document's hash recorded on chain: a framework, the standards catalogue
    or a rule set (``kind``), with the transaction that took it."""

    __tablename__ = "registry_publications"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # framework | standards | rule_set
    subject: Mapped[str] = mapped_column(String(2300))  # what was published, e.g. "id 1.0"
    document_hash: Mapped[str] = mapped_column(String(66))
    document: Mapped[str] = mapped_column(Text)  # the canonical JSON whose hash it is
    transaction_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    published_at: Mapped[datetime]


class CreditFramework(Base):
    """A version of the qualification framework. At most one is ``active`` (published and
    in force); publishing another supersedes it."""

    __tablename__ = "credit_frameworks"
    __table_args__ = (UniqueConstraint("framework_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(Text)  # canonical JSON
    hash: Mapped[str] = mapped_column(String(66))
    state: Mapped[str] = mapped_column(String(16))  # draft | active | superseded | withdrawn
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("registry_publications.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CreditStandard(Base):
    """One version of an outcome standard; published ones are immutable."""

    __tablename__ = "credit_standards"
    __table_args__ = (UniqueConstraint("code", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(Text)  # canonical JSON of the one standard
    state: Mapped[str] = mapped_column(String(16))  # draft | published | withdrawn
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("registry_publications.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CreditRuleSet(Base):
    """A version of a conversion rule set, owned by the authority (no issuer) or by an
    institution for one of its programmes. Drafts are editable, published ones are not."""

    __tablename__ = "credit_rule_sets"
    __table_args__ = (UniqueConstraint("set_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    set_id: Mapped[str] = mapped_column(String(2000))
    version: Mapped[str] = mapped_column(String(200))
    issuer_id: Mapped[int | None] = mapped_column(ForeignKey("issuers.id"), index=True)
    programme: Mapped[str | None] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(Text)  # canonical JSON
    hash: Mapped[str] = mapped_column(String(66))
    state: Mapped[str] = mapped_column(String(16))  # draft | published | withdrawn
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("registry_publications.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RecognitionApplication(Base):
    """A learner's application to have credentials recognised under a published rule set,
    toward the credit bank (the authority decides) or the rule set's programme (its
    institution decides); approved, it names the decision credential."""

    __tablename__ = "recognition_applications"
    __table_args__ = (Index("ix_recognition_queue", "authority_decides", "decider_issuer_id",
                            "state", "submitted_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("credit_rule_sets.id"))
    destination: Mapped[str] = mapped_column(String(2300))  # "bank" | "programme DID CODE"
    decider_issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"))
    authority_decides: Mapped[bool]
    state: Mapped[str] = mapped_column(String(16))  # submitted | approved | refused | withdrawn
    note: Mapped[str] = mapped_column(String(500), default="")
    dry_run: Mapped[dict[str, Any]]  # the evaluation the learner saw when applying
    submitted_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    excluded: Mapped[dict[str, Any] | None]  # credential id -> the reviewer's reason
    decision_credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"))
    sources: Mapped[list[RecognitionSource]] = relationship(order_by="RecognitionSource.position")


class RecognitionSource(Base):
    __tablename__ = "recognition_sources"
    __table_args__ = (UniqueConstraint("application_id", "credential_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("recognition_applications.id"))
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)


class RecognitionUse(Base):
    """A source a decision granted something toward a destination: it counts there once.
    ``destination_key`` is the SHA-256 of the destination (hex), so the unique key stays
    short whatever the DIDs."""

    __tablename__ = "recognition_uses"
    __table_args__ = (UniqueConstraint("credential_id", "destination_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"))
    destination_key: Mapped[str] = mapped_column(String(64))
    application_id: Mapped[str] = mapped_column(ForeignKey("recognition_applications.id"))
    decision_credential_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"),
                                                        index=True)


class Deposit(Base):
    """An outcome a learner deposits (成果存入): a credential from elsewhere, or a
    certificate number with its scan. ``digest`` is the SHA-256 (hex) of the scan bytes or
    of the deposited credential's canonical JSON; an approval issues ``credential_id``."""

    __tablename__ = "deposits"
    __table_args__ = (Index("ix_deposits_queue", "state", "submitted_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # credential | certificate
    state: Mapped[str] = mapped_column(String(16))  # submitted | approved | refused | withdrawn
    standard_hint: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(500), default="")
    details: Mapped[dict[str, Any]]  # certificate fields, or what the credential says
    document: Mapped[str | None] = mapped_column(Text)  # the deposited credential
    scan: Mapped[bytes | None] = mapped_column(LargeBinary)
    scan_media_type: Mapped[str | None] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(500), default="")  # what was checkable
    submitted_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    standard_code: Mapped[str | None] = mapped_column(String(100))
    standard_version: Mapped[str | None] = mapped_column(String(100))
    credential_id: Mapped[str | None] = mapped_column(ForeignKey("credentials.id"))


# ---- 申学码: employers, venues, activities, the learner's code, check-ins (migration 0006) --


class Employer(Base):
    """An employer registered by the authority; its API keys have role ``employer``."""

    __tablename__ = "employers"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class Venue(Base):
    """A learning venue registered by the authority (community school, library, museum,
    elderly university, training centre); its operators' API keys have role ``operator``.
    A retired venue is no longer registered: its check-ins are refused."""

    __tablename__ = "venues"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    district: Mapped[str] = mapped_column(String(64), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class Activity(Base):
    """A session, a course meeting, an exhibition visit at a venue. ``hours`` is what the
    activity counts for; ``needs_checkout``: the duration is measured by a check-out."""

    __tablename__ = "activities"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # session | course_meeting | exhibition_visit
    title: Mapped[str] = mapped_column(String(200))
    sector: Mapped[str] = mapped_column(String(32))  # verifier.credit.Sector values
    hours: Mapped[float] = mapped_column(Float)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    needs_checkout: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]


class LearnerCard(Base):
    """The learner's printed static code: a random token shown once, kept as its hash;
    revoked when lost, replaced by a new one."""

    __tablename__ = "learner_cards"
    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class UsedCode(Base):
    """A rotating code (the learner's or a venue's) that was used: never accepted again.
    Rows may be deleted once ``expires_at`` has passed (the code is refused as expired)."""

    __tablename__ = "used_codes"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class CheckIn(Base):
    """One learner at one activity (学习打卡). ``day`` is the venue's calendar day of
    ``checked_in_at`` (YYYY-MM-DD, the service's time zone): the unit of anchored
    attendance. ``method``: ``learner_scan`` (the learner scanned the venue's code) or
    ``operator_scan`` (the operator scanned the learner's code or card)."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("learner_id", "activity_id", name="uq_checkins_learner_activity"),
        Index("ix_checkins_venue_day", "venue_id", "day"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    activity_id: Mapped[str] = mapped_column(ForeignKey("activities.id"))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    operator_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    day: Mapped[str] = mapped_column(String(10))
    checked_in_at: Mapped[datetime]
    checked_out_at: Mapped[datetime | None]
    recorded_at: Mapped[datetime]  # when the service received it (later, for a queued scan)
    # an operator's scan sent later from the offline queue: its signature over the scan
    queued_signature: Mapped[str | None] = mapped_column(String(200))


# ---- citizens' sign-in by OpenID Connect (migration 0011) --------------------------------


class OidcState(Base):
    """A sign-in sent to the OpenID provider: the hash of its ``state`` (the nonce and the
    PKCE verifier are derived from the state under the server secret, never stored).
    Single use: ``used_at`` is set by the callback that signs the citizen in."""

    __tablename__ = "oidc_states"
    id: Mapped[int] = mapped_column(primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class OidcLink(Base):
    """A citizen's account at an OpenID provider (issuer, subject) → their learning
    account."""

    __tablename__ = "oidc_links"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_oidc_links_subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    learner_id: Mapped[int] = mapped_column(ForeignKey("learners.id"), index=True)
    created_at: Mapped[datetime]
    last_sign_in_at: Mapped[datetime]
