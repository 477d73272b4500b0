"""The object-storage backend: an S3-compatible bucket (AWS S3, MinIO, Ceph...) via boto3.

Several app servers and job workers share one bucket instead of a network mount. Objects are
`<prefix><area>/<key>` (e.g. `tadafur/documents/ab/ab12....pdf`). Write-once as on disk: a
HEAD first (the common case, and servers that ignore conditions), then a conditional PUT
(`If-None-Match: *`) so that two servers racing on one key cannot replace each other's
object. Errors of the service itself (unreachable, refused credentials) raise
StorageUnavailable, never MissingObject: a document is not "gone" because the network is.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tadafur.core.storage import KEY_PATTERN, MissingObject, StorageUnavailable, check_key

MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
TAKEN_CODES = {"412", "PreconditionFailed", "409", "ConditionalRequestConflict"}


def make_client(endpoint_url: str | None, region: str | None) -> Any:
    """A client with short timeouts (a request must not hang on the store). Credentials come
    from the standard AWS chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, an
    instance role. A custom endpoint (MinIO, Ceph) gets path-style addresses, which need no
    wildcard DNS. Checksums only where required, with Content-MD5 sent on every PUT, since
    many S3-compatible servers refuse boto3's newer default checksum headers."""
    config = Config(
        connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"},
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required")
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url or None,
                                          region_name=region or None, config=config)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class S3Backend:
    """One area (documents, attachments) of a bucket."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _unavailable(self, error: Exception) -> StorageUnavailable:
        return StorageUnavailable(f"object storage (bucket {self.bucket}): {error}")

    def put_new(self, key: str, data: bytes, content_type: str = "application/octet-stream"
                ) -> bool:
        if self.exists(key):
            return False
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data,
                                   ContentType=content_type, ContentMD5=md5, IfNoneMatch="*")
        except ClientError as error:
            if _code(error) in TAKEN_CODES:  # another server wrote it in between
                return False
            raise self._unavailable(error) from error
        except BotoCoreError as error:
            raise self._unavailable(error) from error
        return True

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
            return response["Body"].read()
        except ClientError as error:
            if _code(error) in MISSING_CODES:
                raise MissingObject(f"missing stored file {key}") from None
            raise self._unavailable(error) from error
        except BotoCoreError as error:
            raise self._unavailable(error) from error

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if _code(error) in MISSING_CODES:
                return False
            raise self._unavailable(error) from error
        except BotoCoreError as error:
            raise self._unavailable(error) from error
        return True

    def delete(self, key: str) -> None:
        """With versioning on, this leaves a delete marker: the bytes stay recoverable."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        except (ClientError, BotoCoreError) as error:
            raise self._unavailable(error) from error

    def list_keys(self) -> Iterator[str]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix)
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix):]
                    if KEY_PATTERN.match(key):  # other objects there are not the store's
                        yield key
        except (ClientError, BotoCoreError) as error:
            raise self._unavailable(error) from error

