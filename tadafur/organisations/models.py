"""Reference geography (regions, provinces, communes) and the partner organisations."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tadafur.extensions import db
from tadafur.i18n import localized
from tadafur.models_base import TimestampMixin, TrilingualName

COMMUNE_KINDS = ("urban", "rural")
PROVINCE_KINDS = ("province", "prefecture")


class Region(TrilingualName, db.Model):
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    in_programme: Mapped[bool] = mapped_column(Boolean, default=False)

    provinces: Mapped[list[Province]] = relationship(back_populates="region")


class Province(TrilingualName, db.Model):
    """A province or a prefecture (عمالة)."""

    __tablename__ = "province"
    __table_args__ = (UniqueConstraint("region_id", "name_fr"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12), default="province")

    region: Mapped[Region] = relationship(back_populates="provinces")
    communes: Mapped[list[Commune]] = relationship(back_populates="province")


class Commune(TrilingualName, TimestampMixin, db.Model):
    """A territorial commune. Its id is ours: never derived from the seed file's ids."""

    __tablename__ = "commune"
    __table_args__ = (UniqueConstraint("province_id", "name_fr"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="rural")
    is_partner: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    official_code: Mapped[str | None] = mapped_column(String(20), unique=True)

    province: Mapped[Province] = relationship(back_populates="communes")

    @property
    def region(self) -> Region:
        return self.province.region


class Association(TimestampMixin, db.Model):
    """A civil-society association, registered under the Dahir of 15 November 1958."""

    __tablename__ = "association"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_ar: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200))
    receipt_number: Mapped[str] = mapped_column(String(40), unique=True)
    founded_on: Mapped[dt.date | None] = mapped_column(Date)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(254))

    commune: Mapped[Commune] = relationship()

    @property
    def name(self) -> str:
        return localized(self)


class Institution(TrilingualName, db.Model):
    """Enabel, the DGCT, the Directorate of Relations with Civil Society, the EU Delegation."""

    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
