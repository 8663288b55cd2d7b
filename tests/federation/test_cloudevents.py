"""The federation envelope is CloudEvents 1.0 in structured JSON mode, checked by the CloudEvents SDK."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from renshe.federation import service

WHEN = datetime(2026, 12, 2, 8, 30, 15, 123000, tzinfo=UTC)


def test_the_relay_writes_a_cloudevent_the_sdk_reads() -> None:
    body = service.envelope(event_id="a" * 32, province="330000", topic="registry.person_registered",
                            payload={"person": "p1", "名": "张三"}, occurred_at=WHEN)
    event = JSONFormat().read(None, body)
    assert event.get_specversion() == "1.0"
    assert event.get_id() == "a" * 32
    assert event.get_source() == "urn:renshe:province:330000"
    assert event.get_type() == "cn.renshe.registry.person_registered"
    assert event.get_time() == WHEN
    assert event.get_datacontenttype() == "application/json"
    assert event.get_data() == {"person": "p1", "名": "张三"}


def test_the_hub_reads_a_cloudevent_the_sdk_wrote() -> None:
    written = JSONFormat().write(CloudEvent(
        attributes={"id": "b" * 32, "source": "urn:renshe:province:110000", "specversion": "1.0",
                    "type": "cn.renshe.hall.application_submitted", "time": WHEN,
                    "datacontenttype": "application/json"},
        data={"application": "x"}))
    incoming = service.parse(written)
    assert (incoming.event_id, incoming.province, incoming.topic) == ("b" * 32, "110000",
                                                                      "hall.application_submitted")
    assert incoming.payload == {"application": "x"}
    assert incoming.occurred_at == WHEN


def test_the_hub_still_reads_the_earlier_envelope() -> None:
    earlier = json.dumps({"event_id": "c" * 32, "province": "440000", "topic": "card.issued",
                          "payload": {"n": 1}, "occurred_at": WHEN.isoformat()}).encode()
    incoming = service.parse(earlier)
    assert (incoming.event_id, incoming.province, incoming.topic, incoming.payload) == (
        "c" * 32, "440000", "card.issued", {"n": 1})
    assert incoming.occurred_at == WHEN


@pytest.mark.parametrize("body", [
    b"not json",
    json.dumps({"specversion": "0.3", "id": "x", "source": "urn:renshe:province:1", "type": "cn.renshe.t",
                "time": "2026-12-02T00:00:00Z"}).encode(),
    json.dumps({"specversion": "1.0", "id": "x", "source": "https://elsewhere.example", "type": "cn.renshe.t",
                "time": "2026-12-02T00:00:00Z"}).encode(),
    json.dumps({"specversion": "1.0", "id": "x", "source": "urn:renshe:province:1", "type": "cn.renshe.t"}).encode(),
    json.dumps({"specversion": "1.0", "id": "x", "source": "urn:renshe:province:1", "type": "cn.renshe.t",
                "time": "2026-12-02T00:00:00Z", "data": [1, 2]}).encode(),
])
def test_a_malformed_message_is_named_not_applied(body: bytes) -> None:
    with pytest.raises(service.MalformedEvent):
        service.parse(body)
