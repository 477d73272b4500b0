"""The platform's PAdES seal: applied with pyHanko, validated against the platform's certificate."""

from __future__ import annotations

import time
from pathlib import Path

from tadafur.documents import rendering, sealing


def _pdf() -> bytes:
    return rendering.render_pdf("<html lang='fr'><body><p>Scellé</p></body></html>")


def test_sealed_pdf_validates_against_the_platform_certificate():
    sealed = sealing.seal(_pdf())
    status = sealing.validate(sealed)
    assert status.present and status.valid and status.trusted and status.whole_file
    assert status.ok
    assert "Tadafur" in status.signer


def test_one_changed_byte_breaks_the_seal():
    sealed = bytearray(sealing.seal(_pdf()))
    sealed[len(sealed) // 3] ^= 0x01
    assert not sealing.validate(bytes(sealed)).ok


def test_unsealed_pdf_has_no_seal():
    assert not sealing.validate(_pdf()).present
    assert not sealing.validate(b"not a pdf").present


def test_seal_from_another_key_is_not_trusted(app, tmp_path):
    other = sealing.init_development_seal(tmp_path / "other", common_name="Impostor")
    original = app.config.get("SEAL_PKCS12")
    pdf = _pdf()
    app.config["SEAL_PKCS12"] = str(other)
    try:
        forged = sealing.seal(pdf)
    finally:
        if original is None:
            app.config.pop("SEAL_PKCS12")
        else:
            app.config["SEAL_PKCS12"] = original
    status = sealing.validate(forged)
    assert status.present and not status.trusted and not status.ok


def test_sealing_uses_ec_p256_and_is_quick():
    pdf = _pdf()
    sealing.seal(pdf)  # key loaded once per process
    # CPU time of this process: what sealing costs, whatever else shares the cores (make test
    # runs two xdist workers on two cores; wall time measured the neighbour too).
    started = time.process_time()
    for _ in range(5):
        sealing.seal(pdf)
    assert (time.process_time() - started) / 5 < 0.25
    key = sealing._signer().signing_cert.public_key
    assert key.algorithm == "ec"
    assert key.curve[1] == "secp256r1"


def test_seal_init_command_writes_a_pkcs12_bundle(app, tmp_path):
    target = tmp_path / "seal"
    original = app.config["SEAL_DIR"]
    app.config["SEAL_DIR"] = str(target)
    try:
        result = app.test_cli_runner().invoke(args=["seal", "init"])
        assert result.exit_code == 0, result.output
        assert (target / "seal.p12").exists() and (target / "seal-cert.pem").exists()
        assert oct(Path(target / "passphrase").stat().st_mode)[-3:] == "600"
        again = app.test_cli_runner().invoke(args=["seal", "init"])
        assert "kept the existing certificate" in again.output
        shown = app.test_cli_runner().invoke(args=["seal", "show"])
        assert "Tadafur platform (development)" in shown.output
    finally:
        app.config["SEAL_DIR"] = original
