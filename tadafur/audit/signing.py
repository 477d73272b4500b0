"""Detached signatures with the platform's seal key, for statements kept outside the system
(exported audit chain heads). Anyone with the platform's certificate can check them.
"""

from __future__ import annotations

import base64
import threading

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12

from tadafur.documents import sealing

_keys: dict[tuple[str, float], tuple] = {}
_lock = threading.Lock()


def _key_and_certificate():
    sealing._signer()  # creates the development seal when allowed, or raises SealError
    path = sealing.pkcs12_path()
    cache_key = (str(path), path.stat().st_mtime)
    with _lock:
        found = _keys.get(cache_key)
        if found is None:
            key, certificate, _chain = pkcs12.load_key_and_certificates(
                path.read_bytes(), sealing._passphrase(path))
            found = (key, certificate)
            _keys.clear()
            _keys[cache_key] = found
    return found


def sign_detached(data: bytes) -> str:
    key, _certificate = _key_and_certificate()
    return base64.b64encode(key.sign(data, ec.ECDSA(hashes.SHA256()))).decode("ascii")


def verify_detached(data: bytes, signature: str) -> bool:
    _key, certificate = _key_and_certificate()
    try:
        certificate.public_key().verify(base64.b64decode(signature, validate=True), data,
                                        ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True
