"""Registered documents: every PDF the platform produced, as stored, never changed.

A row describes bytes kept in the content-addressed store (`store.py`) under `storage_key`;
`sha256` is the hash of exactly those bytes. `code` is the public verification code printed
in the document's footer and QR code (a PDF cannot contain its own hash): the verification
page maps it, or the uploaded file's hash, to this row.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tadafur.accounts.models import User
from tadafur.extensions import db
from tadafur.models_base import UTCDateTime, utcnow
from tadafur.projects.models import Project

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed from paper


def new_code() -> str:
    """A verification code such as 'K7QM-2XRD-PL4A' (60 bits)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(text: str) -> str:
    raw = "".join(ch for ch in text.upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}" if len(raw) == 12 else ""


class RegisteredDocument(db.Model):
    __tablename__ = "registered_document"
    __table_args__ = (
        UniqueConstraint("project_id", "kind", "version"),
        Index("ix_registered_document_project_kind", "project_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(14), unique=True, default=new_code)
    # None for a programme-wide document (an audit extract across communes or projects).
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(10))  # ar | fr | en | bilingual
    version: Mapped[int] = mapped_column(Integer)  # 1, 2... per project and kind
    content_version: Mapped[int | None] = mapped_column(Integer)  # the project's, when rendered
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("registered_document.id"))
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)  # the text put to signature
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)  # carries the platform's seal
    final: Mapped[bool] = mapped_column(Boolean, default=False)   # the signed-off version
    gate: Mapped[str | None] = mapped_column(String(60))  # the gate whose sign-offs it records

    project: Mapped[Project | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    supersedes: Mapped[RegisteredDocument | None] = relationship(remote_side=[id])

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]

    @property
    def filename(self) -> str:
        scope = self.project.reference if self.project else "TDF-programme"
        return f"{scope}-{self.kind}-v{self.version}-{self.language}.pdf"
