"""An S3 server on localhost for the object-storage tests: moto's server mode, so that boto3
talks real HTTP (signing, conditional PUTs, error codes) to something, with no network.

`moto_s3` starts one server for the session (on a free port); `s3_storage` switches the app
to STORAGE=s3 on a bucket of its own for one test and gives the raw client, to look at or
tamper with the objects behind the app's back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
PREFIX = "tadafur"


@dataclass
class Bucket:
    client: Any
    name: str

    def key(self, area: str, key: str) -> str:
        return f"{PREFIX}/{area}/{key}"

    def read(self, area: str, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=self.key(area, key))["Body"].read()

    def replace(self, area: str, key: str, data: bytes) -> None:
        """What someone with write access to the bucket could do."""
        self.client.put_object(Bucket=self.name, Key=self.key(area, key), Body=data)

    def remove(self, area: str, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=self.key(area, key))

    def names(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listed.get("Contents", []))


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    """The endpoint URL of a moto S3 server; fake credentials for the standard AWS chain."""
    patch = pytest.MonkeyPatch()
    for variable, value in (("AWS_ACCESS_KEY_ID", "testing"),
                            ("AWS_SECRET_ACCESS_KEY", "testing"),
                            ("AWS_SESSION_TOKEN", "testing"), ("AWS_DEFAULT_REGION", REGION)):
        patch.setenv(variable, value)
    patch.delenv("AWS_PROFILE", raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        patch.undo()


def client_for(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION)


@pytest.fixture
def s3_storage(app, moto_s3, monkeypatch) -> Bucket:
    """The app on a fresh bucket for this test (documents and attachments alike)."""
    client = client_for(moto_s3)
    name = f"tadafur-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    for setting, value in (("STORAGE", "s3"), ("S3_BUCKET", name), ("S3_PREFIX", PREFIX),
                           ("S3_ENDPOINT_URL", moto_s3), ("S3_REGION", REGION)):
        monkeypatch.setitem(app.config, setting, value)
    return Bucket(client, name)
