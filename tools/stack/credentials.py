"""The secured stack's identities, its password files and its private CA.

Secrets stay in files readable by their owner only, under the stack's state folder, and are
never printed: `wirewatch stack env` prints commands that read them.
"""

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from wirewatch.settings import StackSettings

if TYPE_CHECKING:
    from tools.certs import LocalAuthority

# The secured stack's client identities, and the names of their password files (stack_secret).
ELASTICSEARCH_USER = "wirewatch"
ELASTICSEARCH_ROLE = "wirewatch"
ELASTICSEARCH_PASSWORD = "elasticsearch-password"  # noqa: S105 (a file name, not a password)
KAFKA_USER = "wirewatch"
KAFKA_PASSWORD = "kafka-password"  # noqa: S105 (a file name, not a password)


def stack_authority(settings: StackSettings) -> "LocalAuthority":
    """The secured stack's private CA, kept under its state folder (certs/ca.pem)."""
    # cryptography is a development dependency: only the secured stack needs it.
    from tools.certs import LocalAuthority

    return LocalAuthority(settings.state_dir.resolve() / "certs")


def stack_secret(settings: StackSettings, name: str) -> Path:
    """The file of the secured stack's secret `name` (a password), made on first use.

    Secrets stay in files readable by their owner only (secrets/<name>) and are never
    printed: `wirewatch stack env` prints commands that read them.
    """
    folder = settings.state_dir.resolve() / "secrets"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / name
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(24))
    return path


def write_private(path: Path, text: str) -> None:
    """Writes a file only its owner can read (it may hold a password)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    path.chmod(0o600)
