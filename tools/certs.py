"""A private certificate authority for the secured local stack and its tests.

The secured stack needs what a self-hosted cluster has: a CA of its own that no system trust
store knows, server certificates for 127.0.0.1/localhost signed by it, and client
certificates for mutual TLS. Everything is PEM, unencrypted keys (files readable by the
stack's user only), so that Kafka, Elasticsearch and Python's ssl module read the same files.
"""

import datetime
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = datetime.timedelta(days=825)


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate and its private key, as PEM files."""

    certificate: Path
    key: Path


class LocalAuthority:
    """A CA kept in `folder` (ca.pem, ca.key), created on first use and reused after."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ca_file = folder / "ca.pem"
        self._ca_key_file = folder / "ca.key"
        if self.ca_file.exists() and self._ca_key_file.exists():
            self._key = _load_key(self._ca_key_file)
            self._certificate = x509.load_pem_x509_certificate(self.ca_file.read_bytes())
        else:
            folder.mkdir(parents=True, exist_ok=True)
            self._key = ec.generate_private_key(ec.SECP256R1())
            self._certificate = _build_ca(self._key)
            _write_key(self._ca_key_file, self._key)
            self.ca_file.write_bytes(self._certificate.public_bytes(serialization.Encoding.PEM))

    def issue(
        self, name: str, hosts: Sequence[str] = (), *, client: bool = False
    ) -> IssuedCertificate:
        """A certificate `name`.pem / `name`.key for `hosts` (DNS names or IP addresses),
        for a server, or for a client (mutual TLS) when `client`; made again each call."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self._certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if hosts:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([_general_name(host) for host in hosts]),
                critical=False,
            )
        certificate = builder.sign(self._key, hashes.SHA256())
        issued = IssuedCertificate(self.folder / f"{name}.pem", self.folder / f"{name}.key")
        _write_key(issued.key, key)
        issued.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        return issued


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _build_ca(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wirewatch local CA")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    # PKCS#8, the one unencrypted PEM form Kafka's PEM key store reads.
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError(f"{path} does not hold the EC key wirewatch made; remove the folder")
    return key
