"""Uploads: an executable disguised as a PDF is refused before anything parses or stores it.

UPLOAD_ENDPOINTS lists every endpoint that takes a PDF file: (URL builder, file field, other
form fields, who sends it). Add new upload endpoints here (execution attachments...).
"""

from __future__ import annotations

import io

import pytest

from tadafur.core.uploads import is_pdf
from tests.factories import login

PE_HEADER = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 46 + b"PE\x00\x00"
DISGUISED = {
    "windows executable": PE_HEADER + b"\x00" * 200 + b"%PDF-1.7\n%%EOF\n",
    "elf executable": b"\x7fELF\x02\x01\x01" + b"\x00" * 100 + b"%PDF-1.4\n%%EOF\n",
    "shell script": b"#!/bin/sh\nrm -rf /\n%PDF-1.4\n%%EOF\n",
    "zip archive": b"PK\x03\x04" + b"\x00" * 100,
    "html page": b"<html><script>alert(1)</script></html>",
}

UPLOAD_ENDPOINTS = [
    # (name, url(project) -> str, file field, extra form fields, persona fixture or None)
    ("documents.verify", lambda project: "/verify", "document", {}, None),
]


@pytest.mark.parametrize("kind", sorted(DISGUISED))
@pytest.mark.parametrize("endpoint", UPLOAD_ENDPOINTS, ids=lambda e: e[0])
def test_a_disguised_executable_is_refused(request, client, endpoint, kind):
    name, url, field, extra, persona = endpoint
    if persona:
        login(client, request.getfixturevalue(persona))
    project = request.getfixturevalue("project") if "project" in url.__code__.co_names else None
    data = {**extra, field: (io.BytesIO(DISGUISED[kind]), "convention.pdf", "application/pdf")}
    response = client.post(url(project), data=data, content_type="multipart/form-data")
    assert response.status_code == 422, (name, kind, response.status_code)
    assert "not a PDF" in response.get_data(as_text=True)


def test_real_pdfs_pass_the_check():
    from benchmarks.seed import tiny_pdf

    assert is_pdf(tiny_pdf("hello"))
    assert is_pdf(b"\n%PDF-1.7\n...\n%%EOF")
    for kind, data in DISGUISED.items():
        assert not is_pdf(data), kind
