"""What a newcomer and an integrating system touch first: `ledger serve`'s arguments, the
database URL, ``ledger init``, the Python client."""

from __future__ import annotations

import pytest

from api.cli import build_parser


@pytest.mark.parametrize("port", ["0", "-1", "65536", "99999"])
def test_serve_refuses_a_port_outside_1_to_65535(port: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`ledger serve --port 99999` printed "serving on :99999" and listened on 34463."""
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["serve", "--port", port])
    assert exit_.value.code == 2
    assert "must be a TCP port, 1 to 65535" in capsys.readouterr().err
    assert build_parser().parse_args(["serve", "--port", "65535"]).port == 65535
