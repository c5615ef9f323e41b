"""`device_signed: true` counts only when proven: the `EvidenceRecorded` was signed by a key
registered with a device role (bodycam, officer-device) and bound to the evidence's capture
device (principal `device:<device_id>`). Otherwise RF07.a and RF08 judge the evidence as
unsigned and their numbers show the claim (docs/red-flags.md, RF07 and "Device-signed")."""

from __future__ import annotations

import io
import json
from dataclasses import replace

from ledger.domain.keys import bound_device
from ledger.envelope import Recorded
from projections.auditor import flags_of_bundle

from . import domain_factory as f
from .domain_factory import at, step
from .test_redflags_world import AT, World, drop, numbers

SUMMARY = "SH-HP-2024-S-004512"
S = f"case:{SUMMARY}"
DEVICE = "BC-HP-0457"          # the capture device of the example body


def register(world: World, key_id: str, principal: str, roles: list[str]) -> None:
    world.add(step("keys", "KeyRegistered", at("2024-09-01"), key_id=key_id,
                   principal=principal, roles=roles, not_before=None))


def backdated_claim(world: World, key_id: str) -> Recorded:
    """Footage "captured" at 10:01:30, before the 10:05 decision, claiming device_signed,
    posted three hours after the decision and signed by ``key_id``."""
    rec = world.record(step(S, "EvidenceRecorded", at("2024-09-30", "10:02:00"),
                            evidence_id="EV-after-1", captured_at=at("2024-09-30", "10:01:30"),
                            device_signed=True), recorded_at="2024-09-30T05:00:00.000000Z")
    rec = replace(rec, signer=f"key:{key_id}")
    world.history.events[-1] = rec
    return rec


def decided_without_evidence() -> World:
    world = World(drop(f.summary_case(SUMMARY), "EvidenceRecorded"))
    register(world, "hp-case-app-01", "sys:hp-case-app", ["case-app"])
    register(world, "hp-bc-0457", f"device:{DEVICE}", ["bodycam"])
    register(world, "hp-bc-0999", "device:BC-HP-0999", ["bodycam"])
    return world


def test_case_app_backdating_evidence_claiming_device_signed_raises_rf07_and_rf08_b() -> None:
    world = decided_without_evidence()
    rec = backdated_claim(world, "hp-case-app-01")
    claim = {"device_signed_claimed": True, "device_signed_proven": False,
             "device_id": DEVICE, "signer_key_id": "hp-case-app-01"}
    rf07 = world.one("RF07.a")
    assert numbers(rf07)["device_signed_unproven"] == [
        [rec.event_id, "EV-after-1", DEVICE, "hp-case-app-01"]]
    assert numbers(rf07)["device_signed_claimed"] is True
    assert numbers(rf07)["device_signed_proven"] is False
    assert numbers(rf07)["evidence"] == [
        [rec.event_id, "2024-09-30T10:01:30+08:00", "2024-09-30T13:00:00+08:00", False]]
    assert rec.event_id in rf07.event_ids
    assert "claim(s) device_signed" in rf07.summary and "hp-case-app-01" in rf07.summary
    assert "hp-case-app-01" in rf07.summary_zh
    rf08 = world.one("RF08.b")
    assert rf08.event_ids[0] == rec.event_id
    assert numbers(rf08)["event_type"] == "EvidenceRecorded"
    assert {k: numbers(rf08)[k] for k in claim} == claim
    assert rf08.summary.endswith(
        f"; it claims device_signed, but hp-case-app-01 is not device {DEVICE}'s own key")
    assert "hp-case-app-01" in rf08.summary_zh


def test_the_same_evidence_signed_by_its_devices_own_key_raises_nothing() -> None:
    world = decided_without_evidence()
    backdated_claim(world, "hp-bc-0457")
    assert world.flags(rule="RF07") == [] and world.flags(rule="RF08") == []


def test_evidence_signed_by_another_devices_key_is_not_device_signed() -> None:
    world = decided_without_evidence()
    rec = backdated_claim(world, "hp-bc-0999")
    assert numbers(world.one("RF07.a"))["device_signed_unproven"] == [
        [rec.event_id, "EV-after-1", DEVICE, "hp-bc-0999"]]
    assert numbers(world.one("RF08.b"))["device_signed_proven"] is False


def test_a_key_naming_the_device_without_a_device_role_proves_nothing() -> None:
    world = decided_without_evidence()
    register(world, "hp-app-as-bc", f"device:{DEVICE}", ["case-app"])
    backdated_claim(world, "hp-app-as-bc")
    assert world.one("RF07.a") and world.one("RF08.b")


def test_an_unregistered_signer_proves_nothing() -> None:
    """A bundle of part of the log without the signer's registration: the claim is unproven."""
    world = World(drop(f.summary_case(SUMMARY), "EvidenceRecorded"))
    backdated_claim(world, "bodycam-77")
    assert numbers(world.one("RF07.a"))["device_signed_unproven"][0][3] == "bodycam-77"


def test_an_unproven_device_claim_synced_two_days_later_is_late_recording() -> None:
    """RF08.a allows 72 h to a device-signed capture only when the device's key signed it."""
    world = decided_without_evidence()
    evidence = step(S, "EvidenceRecorded", at("2024-09-30", "09:58:00"),
                    evidence_id="EV-late-1", captured_at=at("2024-09-30", "09:57:00"))
    world.record(evidence, recorded_at="2024-10-02T03:00:00.000000Z")       # 48 h
    world.history.events[-1] = replace(world.events[-1], signer="key:hp-case-app-01")
    flag = world.one("RF08.a")
    assert numbers(flag)["limit_hours"] == 24 and numbers(flag)["device_signed_claimed"]
    world.history.events[-1] = replace(world.events[-1], signer="key:hp-bc-0457")
    assert world.flags(rule="RF08.a") == []


def signed_footage(key_id: str) -> tuple[World, Recorded]:
    """The summary case whose only video (the bodycam's, two minutes before the decision)
    was signed by ``key_id``."""
    world = World()
    register(world, "hp-case-app-01", "sys:hp-case-app", ["case-app"])
    register(world, "hp-bc-0457", f"device:{DEVICE}", ["bodycam"])
    register(world, "hp-bc-0999", "device:BC-HP-0999", ["bodycam"])
    world.add(*f.summary_case(SUMMARY))
    i, video = next((i, r) for i, r in enumerate(world.events) if r.type == "EvidenceRecorded")
    assert video.body["kind"] == "video" and video.body["capture_device"]["device_id"] == DEVICE
    world.history.events[i] = replace(video, signer=f"key:{key_id}")
    return world, world.events[i]


def test_a_video_the_case_app_signed_is_no_body_camera_video_for_rf08_c() -> None:
    """RF08.c: the body names the bodycam and its officer, but the case app's key signed it."""
    world, video = signed_footage("hp-case-app-01")
    flag = world.one("RF08.c")
    assert numbers(flag)["event_type"] == "PenaltyDecided"
    assert numbers(flag)["videos_unproven"] == [
        [video.event_id, video.body["evidence_id"], DEVICE, "hp-case-app-01"]]
    assert video.event_id in flag.event_ids
    assert flag.summary.endswith("signed by the device's own key; 1 claim(s) to be, signed "
                                 "by hp-case-app-01")
    assert "hp-case-app-01" in flag.summary_zh


def test_a_video_another_devices_key_signed_is_no_body_camera_video() -> None:
    world, _ = signed_footage("hp-bc-0999")     # registered before it, for BC-HP-0999
    assert numbers(world.one("RF08.c"))["videos_unproven"][0][3] == "hp-bc-0999"


def test_a_video_its_bodycams_own_key_signed_is_body_camera_video() -> None:
    world, _ = signed_footage("bodycam-01")     # f.device_key(): device:BC-HP-0457, bodycam
    assert world.flags(rule="RF08.c") == []
    world, _ = signed_footage("bodycam-01")
    world.history.events[:] = [r for r in world.events if r.body.get("key_id") != "bodycam-01"]
    assert world.one("RF08.c")                  # the same key, never registered: no proof


def test_the_offline_flags_of_a_bundle_judge_the_claim_as_the_service_does() -> None:
    """`ledger flags FILE` folds the bundle's events, the keys stream with them (RF07.a, RF08.b
    and RF08.c alike)."""
    for key_id in ("hp-case-app-01", "hp-bc-0457"):
        world = decided_without_evidence()
        backdated_claim(world, key_id)
        for w, rule in ((world, "RF07.a"), (signed_footage(key_id)[0], "RF08.c")):
            lines = [{"t": "header"}] + [
                {"t": "event", "envelope": {"event_id": r.event_id, "stream": r.stream,
                                            "type": r.type, "occurred_at": r.occurred_at,
                                            "signer": r.signer, "body": r.body},
                 "receipt": {"index": r.index, "stream_version": r.stream_version,
                             "recorded_at": r.recorded_at}} for r in w.events] + [{"t": "end"}]
            bundle = io.BytesIO("\n".join(json.dumps(x) for x in lines).encode())
            offline = flags_of_bundle(bundle, AT)
            assert [x.to_value() for x in offline] == [x.to_value() for x in w.flags()]
            assert any(x.rule_id == rule for x in offline) == (key_id == "hp-case-app-01")


def test_a_device_key_is_bound_to_the_device_its_principal_names() -> None:
    assert bound_device("device:BC-HP-0457", ["bodycam"]) == "BC-HP-0457"
    assert bound_device("device:PDA-HP-0231", ["officer-device"]) == "PDA-HP-0231"
    assert bound_device("device:BC-HP-0457", ["case-app"]) is None
    assert bound_device("BC-HP-0457", ["bodycam"]) is None
    assert bound_device("device:", ["bodycam"]) is None
