"""Kafka security settings: what is refused before anything connects, and why."""

import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from pydantic import SecretStr, ValidationError

from ingest import KafkaSettings, client_options, ssl_context
from ingest.errors import KafkaSecurityError
from tools.certs import IssuedCertificate, LocalAuthority


def scram(**overrides: Any) -> KafkaSettings:
    values: dict[str, Any] = {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_username": "wirewatch",
        "sasl_password": SecretStr("s3cret"),
    }
    values.update(overrides)
    return KafkaSettings(**values)


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> LocalAuthority:
    return LocalAuthority(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def client(authority: LocalAuthority) -> IssuedCertificate:
    return authority.issue("client", client=True)


def test_plain_over_plaintext_is_refused_saying_what_to_set() -> None:
    with pytest.raises(ValidationError, match="password in clear") as refused:
        scram(security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN")
    assert "SASL_SSL" in str(refused.value)
    assert "WIREWATCH_KAFKA__ALLOW_PLAINTEXT_SASL" in str(refused.value)


def test_scram_over_plaintext_is_refused_too() -> None:
    with pytest.raises(ValidationError, match="readable"):
        scram(security_protocol="SASL_PLAINTEXT")


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256"])
def test_sasl_over_plaintext_is_allowed_when_asked_for(mechanism: str) -> None:
    settings = scram(
        security_protocol="SASL_PLAINTEXT", sasl_mechanism=mechanism, allow_plaintext_sasl=True
    )
    options = client_options(settings)
    assert options["sasl_mechanism"] == mechanism
    assert "ssl_context" not in options


def test_a_sasl_protocol_needs_a_mechanism() -> None:
    with pytest.raises(ValidationError, match="WIREWATCH_KAFKA__SASL_MECHANISM"):
        scram(sasl_mechanism=None)


@pytest.mark.parametrize(
    "missing", [{"sasl_username": None}, {"sasl_password": None}, {"sasl_username": ""}]
)
def test_a_mechanism_needs_a_user_and_password(missing: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="SASL_USERNAME and WIREWATCH_KAFKA__SASL_PASSWORD"):
        scram(**missing)


def test_sasl_settings_on_a_protocol_without_sasl_are_refused() -> None:
    with pytest.raises(ValidationError, match="does not use SASL"):
        scram(security_protocol="SSL")


def test_tls_files_on_a_protocol_without_tls_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="SSL_CAFILE is set"):
        KafkaSettings(ssl_cafile=tmp_path / "ca.pem")


def test_a_key_without_its_certificate_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="SSL_CERTFILE"):
        KafkaSettings(security_protocol="SSL", ssl_keyfile=tmp_path / "client.key")


def test_plaintext_builds_no_tls_context() -> None:
    assert ssl_context(KafkaSettings()) is None
    assert "ssl_context" not in client_options(KafkaSettings())


def test_the_context_verifies_against_the_given_ca_and_checks_host_names(
    authority: LocalAuthority, client: IssuedCertificate
) -> None:
    settings = scram(
        ssl_cafile=authority.ca_file, ssl_certfile=client.certificate, ssl_keyfile=client.key
    )
    context = client_options(settings)["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    (ca,) = context.get_ca_certs()
    assert ca["subject"] == ((("commonName", "wirewatch local CA"),),)


def test_host_name_checking_can_be_turned_off_but_not_verification(
    authority: LocalAuthority,
) -> None:
    context = ssl_context(scram(ssl_cafile=authority.ca_file, ssl_check_hostname=False))
    assert context is not None
    assert not context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED


@pytest.mark.parametrize("setting", ["ssl_cafile", "ssl_certfile", "ssl_keyfile"])
def test_a_missing_file_names_its_setting(
    setting: str, tmp_path: Path, authority: LocalAuthority, client: IssuedCertificate
) -> None:
    files: dict[str, Any] = {
        "ssl_cafile": authority.ca_file,
        "ssl_certfile": client.certificate,
        "ssl_keyfile": client.key,
    }
    files[setting] = tmp_path / "absent.pem"
    with pytest.raises(KafkaSecurityError, match=f"WIREWATCH_KAFKA__{setting.upper()}: .*absent"):
        ssl_context(scram(**files))


def test_a_ca_file_that_is_not_pem_is_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "ca.pem"
    garbage.write_text("not a certificate\n")
    with pytest.raises(KafkaSecurityError, match="SSL_CAFILE"):
        ssl_context(scram(ssl_cafile=garbage))


def test_a_key_that_does_not_fit_the_certificate_is_refused(
    authority: LocalAuthority, client: IssuedCertificate
) -> None:
    other = authority.issue("other", client=True)
    with pytest.raises(KafkaSecurityError, match="could not be loaded") as refused:
        ssl_context(scram(ssl_certfile=client.certificate, ssl_keyfile=other.key))
    assert "SSL_KEYFILE" in str(refused.value)


def test_an_encrypted_key_needs_its_password(
    tmp_path: Path, authority: LocalAuthority, client: IssuedCertificate
) -> None:
    key = serialization.load_pem_private_key(client.key.read_bytes(), password=None)
    encrypted = tmp_path / "client-encrypted.key"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"key-password"),
        )
    )
    files: dict[str, Any] = {"ssl_certfile": client.certificate, "ssl_keyfile": encrypted}
    with pytest.raises(KafkaSecurityError, match="SSL_KEYFILE_PASSWORD"):
        ssl_context(scram(**files, ssl_keyfile_password=SecretStr("wrong")))
    assert ssl_context(scram(**files, ssl_keyfile_password=SecretStr("key-password")))
