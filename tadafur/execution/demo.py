"""Execution data for the demo projects that reached execution: tranches of the programme and
the commune, expenses on each budget line, progress of the activities, two periods of values
of the people-reached indicator and one evidence file (a small PDF made here).

Called by the projects' demo seeder (`tadafur.projects.demo`) while the project is in
execution, through the real services (so every record is audited like a real one).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import zlib
from decimal import Decimal

from PIL import Image, ImageDraw

from tadafur.execution import services
from tadafur.models_base import frozen, today
from tadafur.projects.models import Funder


def tiny_pdf(text: str = "Compte rendu de l'atelier") -> bytes:
    """A valid one-page PDF (correct cross-reference table) showing one line of text."""
    safe = text.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(
        b"(", b"\\(").replace(b")", b"\\)")
    stream = b"BT /F1 18 Tf 72 720 Td (" + safe + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return bytes(out)


def tiny_png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (47, 111, 143)
             ) -> bytes:
    """A valid PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def demo_photo(seed: int) -> bytes:
    """A generated "photo" of a workshop hall (chairs, a board, the window's light), with
    camera and GPS metadata such as a phone writes: the public copy must lose them."""
    rng = random.Random(seed)
    image = Image.new("RGB", (1600, 1066), (236, 228, 214))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 700, 1600, 1066), fill=(168, 132, 96))  # floor
    draw.rectangle((560, 140, 1040, 460), fill=(38, 84, 64), outline=(90, 60, 30), width=14)
    draw.rectangle((1180, 120, 1500, 520), fill=(188, 222, 240))  # window
    hue = rng.choice([(0, 88, 107), (180, 69, 31), (30, 107, 52), (79, 124, 172)])
    for row in range(3):
        for col in range(7):
            x, y = 140 + col * 190 + rng.randint(-12, 12), 620 + row * 130
            draw.rectangle((x, y, x + 90, y + 70), fill=hue)
            draw.rectangle((x + 10, y + 70, x + 18, y + 120), fill=(60, 60, 60))
            draw.rectangle((x + 72, y + 70, x + 80, y + 120), fill=(60, 60, 60))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "DemoPhone", "Model 7"
    exif[0x8825] = {1: "N", 2: (33.0, 35.0, 12.0), 3: "W", 4: (7.0, 36.0, 48.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, exif=exif)
    return buffer.getvalue()


def _on(day: dt.date, record, *args) -> None:
    """Record on `day` by the settable clock. The demo walk leaves seven months between
    the signature and the next step, so every day here is past."""
    with frozen(day):
        record(*args)


def record_execution(project, cast: dict) -> None:
    """Tranches, expenses, progress, indicator values and one attachment for `project`,
    each recorded on its own day after the convention's signature."""
    signed = today()
    start = project.start_date or signed
    grant = project.total(Funder.PROGRAMME)
    if grant:  # the programme pays its grant in two halves, the first at signature
        half = (grant / 2).quantize(Decimal("0.01"))
        for day in (signed, start + dt.timedelta(days=120)):
            _on(day, services.record_tranche, cast["officer"], project, {
                "funder": "programme", "amount": half, "planned_on": day,
                "paid_on": day})
    for line in project.budget_lines:
        if line.funder == "commune":
            day = start + dt.timedelta(days=30)
            _on(day, services.record_tranche, cast["agent"], project, {
                "funder": "commune", "amount": line.amount, "planned_on": day,
                "paid_on": day})
        if line.amount:
            _on(start + dt.timedelta(days=45), services.record_expense, cast["member"],
                project, {
                    "budget_line_id": line.id,
                    "amount": (line.amount * Decimal("0.4")).quantize(Decimal("0.01")),
                    "spent_on": start + dt.timedelta(days=45),
                    "description": "Location de salle et restauration"})
    for activity, percent in zip(project.activities, (100, 60, 0), strict=False):
        _on(start + dt.timedelta(days=60), services.record_progress, cast["member"], project, {
            "activity_id": activity.id, "percent": percent,
            "note": "Réalisé comme prévu." if percent == 100 else "En cours."})
    for indicator in project.indicators[:1]:
        for first, last, cells in (
                (start, start + dt.timedelta(days=90), (18, 6, 14, 4)),
                (start + dt.timedelta(days=91), start + dt.timedelta(days=182), (12, 5, 10, 3))):
            _on(last, services.record_indicator_value, cast["member"], project, {
                "indicator_id": indicator.id, "period_start": first, "period_end": last,
                **dict(zip(services.CELLS, map(Decimal, cells), strict=True)),
                "note": "Listes de présence"})
    _on(start + dt.timedelta(days=10), services.store_attachment, cast["member"], project,
        tiny_pdf("Compte rendu de l'atelier de lancement"), "compte-rendu-atelier.pdf",
        project.activities[0].id if project.activities else None,
        "Compte rendu signé par les deux parties")
    _on(start + dt.timedelta(days=10), services.store_attachment, cast["member"], project,
        demo_photo(project.id), "atelier-de-lancement.jpg",
        project.activities[0].id if project.activities else None,
        "La salle de l'atelier de lancement")
