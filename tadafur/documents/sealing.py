"""The platform's seal: a PAdES signature (pyHanko) over the final signed-off documents.

The key is EC P-256 and the signature space is reserved up front (`bytes_reserved`), which
signs in about 25 ms (RSA-3072: about 120 ms). Production points SEAL_PKCS12 at a PKCS#12
file and puts its passphrase in the environment variable named by SEAL_PASSPHRASE_ENV
(default TADAFUR_SEAL_PASSPHRASE). `flask --app wsgi seal init` makes a self-signed
development certificate and key under instance/seal/ (seal.p12, seal-cert.pem, and the
passphrase in a 0600 file). Validation trusts the platform's certificate explicitly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app

FIELD_NAME = "TadafurSeal"
BYTES_RESERVED = 8192
P12_NAME, CERT_NAME, PASSPHRASE_NAME = "seal.p12", "seal-cert.pem", "passphrase"


class SealError(Exception):
    """The seal could not be applied (missing or unreadable key); nothing was registered."""


@dataclass(frozen=True)
class SealStatus:
    present: bool
    valid: bool = False        # the signature is cryptographically sound and intact
    trusted: bool = False      # signed by the platform's certificate
    whole_file: bool = False   # nothing was added after the seal
    signer: str = ""
    signed_at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return self.present and self.valid and self.trusted and self.whole_file


def seal_dir() -> Path:
    configured = current_app.config.get("SEAL_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "seal"


def pkcs12_path() -> Path:
    configured = current_app.config.get("SEAL_PKCS12") or os.environ.get("TADAFUR_SEAL_PKCS12")
    return Path(configured) if configured else seal_dir() / P12_NAME


def _passphrase(path: Path) -> bytes:
    variable = current_app.config.get("SEAL_PASSPHRASE_ENV", "TADAFUR_SEAL_PASSPHRASE")
    if os.environ.get(variable):
        return os.environ[variable].encode()
    development_file = path.parent / PASSPHRASE_NAME
    if development_file.exists():
        return development_file.read_text().strip().encode()
    raise SealError(f"no passphrase for {path}: set {variable}")


def init_development_seal(directory: Path, common_name: str = "Tadafur platform (development)",
                          force: bool = False) -> Path:
    """A self-signed EC P-256 certificate and key in a PKCS#12 file; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / P12_NAME
    if target.exists() and not force:
        return target
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "MA"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tadafur"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_cert_sign=True,
            crl_sign=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    passphrase = secrets.token_urlsafe(24)
    bundle = pkcs12.serialize_key_and_certificates(
        b"tadafur-seal", key, certificate, None,
        serialization.BestAvailableEncryption(passphrase.encode()))
    _write_private(directory / PASSPHRASE_NAME, passphrase.encode())
    _write_private(target, bundle, replace=True)
    (directory / CERT_NAME).write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return target


def _write_private(path: Path, data: bytes, replace: bool = True) -> None:
    if replace and path.exists():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


_signers: dict[tuple[str, float], object] = {}
_signers_lock = threading.Lock()


def _signer():
    """The pyHanko signer, loaded once per process (and again if the file changes)."""
    # pyHanko takes about a second to import; only sealing and checking a seal need it.
    from pyhanko.sign import signers  # noqa: PLC0415

    path = pkcs12_path()
    if not path.exists() and current_app.config.get("SEAL_DEV_AUTO_INIT",
                                                    current_app.debug or current_app.testing):
        init_development_seal(path.parent)
    if not path.exists():
        raise SealError(f"no seal key at {path}: run `flask --app wsgi seal init`")
    cache_key = (str(path), path.stat().st_mtime)
    with _signers_lock:
        signer = _signers.get(cache_key)
        if signer is None:
            signer = signers.SimpleSigner.load_pkcs12(str(path), passphrase=_passphrase(path))
            if signer is None:
                raise SealError(f"cannot read the seal key in {path}")
            _signers.clear()
            _signers[cache_key] = signer
    return signer


def platform_certificate():
    """The seal certificate (asn1crypto), the trust anchor for validation."""
    return _signer().signing_cert


def _outside_event_loop(function, *args):
    """pyHanko drives signing and validation with asyncio.run, which refuses to start inside a
    running event loop (an async server, or Playwright's loop in the browser tests): then the
    work runs in a worker thread of its own, with the app context.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            return function(*args)

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


# The reason the signature states (PDF readers show it): the documents the parties sign off,
# or one the platform issues on its own (the public project sheet), which must not claim
# sign-offs it never had. Not translated: the signature's fields are read by software.
SIGNED_OFF_REASON = "Tadafur: signed-off document"
ISSUED_REASON = "Tadafur: issued by the platform"


def seal(pdf: bytes, reason: str = SIGNED_OFF_REASON) -> bytes:
    return _outside_event_loop(_seal, pdf, reason)


def _seal(pdf: bytes, reason: str) -> bytes:
    # pyHanko takes about a second to import; only sealing and checking a seal need it.
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: PLC0415
    from pyhanko.sign import fields, signers  # noqa: PLC0415

    signer = _signer()
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD_NAME, md_algorithm="sha256", reason=reason,
            subfilter=fields.SigSeedSubFilter.PADES)
        output = signers.PdfSigner(meta, signer=signer).sign_pdf(
            writer, bytes_reserved=BYTES_RESERVED)
        return output.getvalue()
    except Exception as error:
        raise SealError(str(error)) from error


def validate(pdf: bytes) -> SealStatus:
    """Check the platform's seal on `pdf`, trusting only the platform's certificate."""
    return _outside_event_loop(_validate, pdf)


def _validate(pdf: bytes) -> SealStatus:
    # pyHanko takes about a second to import; only sealing and checking a seal need it.
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415
    from pyhanko.sign.validation import validate_pdf_signature  # noqa: PLC0415
    from pyhanko.sign.validation.status import SignatureCoverageLevel  # noqa: PLC0415
    from pyhanko_certvalidator import ValidationContext  # noqa: PLC0415

    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception:
        return SealStatus(present=False)
    if not signatures:
        return SealStatus(present=False)
    context = ValidationContext(trust_roots=[platform_certificate()], allow_fetching=False,
                                revocation_mode="soft-fail")
    try:
        status = validate_pdf_signature(signatures[-1], signer_validation_context=context)
    except Exception:
        return SealStatus(present=True)
    signer = status.signing_cert.subject.native.get("common_name", "")
    return SealStatus(
        present=True,
        valid=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signer=signer,
        signed_at=status.signer_reported_dt,
    )
