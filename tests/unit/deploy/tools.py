"""The command-line tools the deployment tests run (installed by `make tools`)."""

import shutil

import pytest


def tool(name: str, package: str) -> str:
    """The path of `name`; fails the test (never skips it) saying how to install it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run `make tools` (apt-get install {package})")
    return path
