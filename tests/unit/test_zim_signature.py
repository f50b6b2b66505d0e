from __future__ import annotations

from chatpins.dialects.zim.signature import sign, verify

EXAMPLE = (12345, "4fd24687296dd9f3", "9193cc662a4c0ec135ec71fb57194b38", 1615186943)


def test_the_vendors_worked_example_verifies() -> None:
    assert sign(*EXAMPLE) == "43e5cfcca828314675f91b001390566a"
    assert verify(*EXAMPLE, "43e5cfcca828314675f91b001390566a")


def test_comparison_ignores_hex_case() -> None:
    assert verify(*EXAMPLE, "43E5CFCCA828314675F91B001390566A")


def test_any_changed_input_fails() -> None:
    good = "43e5cfcca828314675f91b001390566a"
    app_id, nonce, secret, ts = EXAMPLE
    assert not verify(app_id + 1, nonce, secret, ts, good)
    assert not verify(app_id, nonce + "0", secret, ts, good)
    assert not verify(app_id, nonce, secret[:-1] + "9", ts, good)
    assert not verify(app_id, nonce, secret, ts + 1, good)
    assert not verify(*EXAMPLE, good[:-1])
    assert not verify(*EXAMPLE, "Pc5WB8gokVn0xfeu/ZV+iNM1dgI=")
    assert not verify(*EXAMPLE, "é" * 32)
