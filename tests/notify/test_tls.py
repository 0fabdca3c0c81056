"""E-mail over STARTTLS and over TLS from the start, to a real SMTP server whose certificate a
private CA signed (DISPMON_SMTP_CA_FILE); a certificate the sender cannot check is refused."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.settings import Settings
from tests.notify.conftest import Mailbox
from tests.notify.helpers import add, send, subscription


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A private CA's certificate, and a server certificate for 127.0.0.1 it signed, with its
    key."""
    folder = tmp_path_factory.mktemp("tls")
    now = utcnow()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("dispmon test CA"))
          .issuer_name(_name("dispmon test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
          .not_valid_after(now + timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def _server_context(certificates: tuple[Path, Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates[1], certificates[2])
    return context


@pytest.fixture(params=["starttls", "tls"])
def tls_mailbox(request: pytest.FixtureRequest,
                certificates: tuple[Path, Path, Path]) -> Iterator[tuple[str, Mailbox]]:
    box = Mailbox()
    context = _server_context(certificates)
    options: dict[str, Any] = (
        {"tls_context": context, "require_starttls": True} if request.param == "starttls"
        else {"ssl_context": context})
    controller = Controller(box, hostname="127.0.0.1", port=box.port, **options)
    controller.start()
    try:
        yield request.param, box
    finally:
        controller.stop()


def test_email_goes_over_tls_checked_against_the_private_ca(
        client: TestClient, admin: dict[str, str], factory: sessionmaker[Session],
        settings: Settings, tls_mailbox: tuple[str, Mailbox],
        certificates: tuple[Path, Path, Path]) -> None:
    security, box = tls_mailbox
    secured = settings.model_copy(update={"smtp_port": box.port, "smtp_security": security,
                                          "smtp_ca_file": certificates[0]})
    sub = add(client, admin, "email", "officer@example.org")
    # without the CA, the relay's certificate cannot be checked: refused, and said so
    assert send(factory, secured.model_copy(update={"smtp_ca_file": None})) == 1
    refused = subscription(factory, sub["id"])
    assert refused.test_status == "failed"
    assert refused.test_error is not None and "CERTIFICATE_VERIFY_FAILED" in refused.test_error
    assert box.messages == []
    assert send(factory, secured, now=utcnow() + timedelta(seconds=6)) == 1
    assert subscription(factory, sub["id"]).test_status == "passed"
    assert "Test message" in box.wait(1)[0]["Subject"]
