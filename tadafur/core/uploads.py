"""Checks on uploaded files before anything parses or stores them.

A file's name and declared type are the sender's claims; only its bytes count. An executable
renamed `convention.pdf` is refused here, before a PDF parser (pyHanko, poppler) ever reads it.
Every upload endpoint that expects a PDF calls `is_pdf` first.
"""

from __future__ import annotations

# Magic numbers of what must never pass as a document, whatever its name says.
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe",
                    b"#!")
PDF_HEADER_WINDOW = 1024  # the PDF specification lets the header start within the first 1 KiB


def is_pdf(data: bytes) -> bool:
    """True when `data` is shaped like a PDF: header near the start, end marker near the end,
    and not an executable with a PDF header glued somewhere inside."""
    if not data or data.startswith(EXECUTABLE_MAGIC):
        return False
    header = data.find(b"%PDF-", 0, PDF_HEADER_WINDOW)
    if header < 0 or (data[:header].strip(b"\x00\t\n\r\x0c ") and header > 0):
        return False
    return b"%%EOF" in data[-2048:]
