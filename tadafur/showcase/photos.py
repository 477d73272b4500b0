"""Photos the association allows to publish.

The association ticks "may be published" on one of its evidence photos and confirms that the
people shown consented. The public never gets the original: a web copy is made with Pillow,
re-encoded as JPEG from the pixels only (no EXIF, GPS, XMP, ICC or comments survive), turned
upright first (the EXIF orientation is applied, then dropped) and fitted into 1280 px.
"""

from __future__ import annotations

import io
from typing import Any

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from tadafur.audit.services import record
from tadafur.errors import TadafurError
from tadafur.execution import attachments as files
from tadafur.execution.models import Attachment
from tadafur.extensions import db
from tadafur.showcase.models import PublicPhoto

WEB_SIZE = (1280, 1280)
QUALITY = 82
Image.MAX_IMAGE_PIXELS = 40_000_000  # a decompression bomb is refused, not decoded


class PhotoError(TadafurError):
    """A refusal with its translated message and the form field it concerns."""


def web_copy(data: bytes) -> tuple[bytes, int, int]:
    """(JPEG bytes, width, height) of the web copy of an image; metadata stripped."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail(WEB_SIZE, Image.Resampling.LANCZOS)
            pixels = image.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise PhotoError(_("This file is not a photo that can be published."), "attachment_id"
                         ) from error
    clean = Image.new("RGB", pixels.size)
    clean.paste(pixels)  # a new image: nothing of the original's info dict comes along
    buffer = io.BytesIO()
    clean.save(buffer, "JPEG", quality=QUALITY, optimize=True, progressive=True)
    return buffer.getvalue(), clean.width, clean.height


def publishable_photos(project: Any) -> list[tuple[Attachment, PublicPhoto | None]]:
    """The project's photos and, for each, its public copy if it has one."""
    photos = list(db.session.scalars(
        select(Attachment).where(Attachment.project_id == project.id,
                                 Attachment.content_type.in_(("image/jpeg", "image/png")))
        .order_by(Attachment.id)))
    public = {p.attachment_id: p for p in db.session.scalars(
        select(PublicPhoto).where(PublicPhoto.project_id == project.id))}
    return [(photo, public.get(photo.id)) for photo in photos]


def publish(actor: Any, project: Any, attachment_id: int, consent: bool,
            caption: str = "") -> PublicPhoto:
    """Make the web copy of one of the project's photos public; audited. Flushes."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.project_id != project.id \
            or not attachment.content_type.startswith("image/"):
        raise PhotoError(_("Choose one of this project's photos."), "attachment_id")
    if not consent:
        raise PhotoError(_("Confirm that the people shown agreed to the publication."),
                         "consent")
    existing = db.session.scalar(select(PublicPhoto)
                                 .where(PublicPhoto.attachment_id == attachment.id))
    if existing is not None:
        return existing
    data, width, height = web_copy(files.read(attachment.stored_name))
    caption = (caption or attachment.caption or "").strip()[:300]
    photo = PublicPhoto(project_id=project.id, attachment_id=attachment.id,
                        stored_name=files.new_name(), width=width, height=height,
                        size=len(data), caption=caption, consent_confirmed=True,
                        published_by_id=actor.id)
    db.session.add(photo)
    db.session.flush()
    record("photo.published", obj=photo, project=project, actor=actor,
           summary=f"{project.reference}: {attachment.display_name}",
           after={"attachment_id": attachment.id, "consent_confirmed": True,
                  "width": width, "height": height, "sha256": files.sha256_of(data)})
    files.write(photo.stored_name, data, "image/jpeg")
    return photo


def withdraw(actor: Any, project: Any, photo_id: int) -> str:
    """Remove the public copy's row; audited. Returns the stored name, for the caller to
    discard once the transaction committed."""
    photo = db.session.get(PublicPhoto, photo_id)
    if photo is None or photo.project_id != project.id:
        raise PhotoError(_("Choose one of this project's published photos."), "photo_id")
    name = photo.stored_name
    record("photo.withdrawn", obj=photo, project=project, actor=actor,
           summary=f"{project.reference}: photo {photo.attachment_id}",
           before={"attachment_id": photo.attachment_id})
    db.session.delete(photo)
    db.session.flush()
    return name


def public_bytes(photo: PublicPhoto) -> bytes:
    return files.read(photo.stored_name)
