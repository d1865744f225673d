"""Static group membership: off by default, so processes on one host never fence each other."""

import socket

from ingest import IngestSettings


def test_membership_is_dynamic_by_default() -> None:
    assert IngestSettings().instance_id() is None


def test_the_hostname_placeholder_becomes_this_host_name() -> None:
    settings = IngestSettings(group_instance_id="wirewatch-{hostname}")
    assert settings.instance_id() == f"wirewatch-{socket.gethostname()}"


def test_a_plain_instance_id_is_kept() -> None:
    assert IngestSettings(group_instance_id="wirewatch-0").instance_id() == "wirewatch-0"


def test_heartbeats_fit_several_times_in_a_session() -> None:
    settings = IngestSettings()
    assert settings.heartbeat_interval_ms * 3 <= settings.session_timeout_ms
