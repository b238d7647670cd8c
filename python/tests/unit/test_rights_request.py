"""`erasure request` appends to the raw erasure_requests file, CSV or Parquet, in its own types."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gdpr_pipeline.rights import UnknownSubject, request_erasure
from gdpr_pipeline.synth.generate import generate


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_request_is_appended_in_the_file_s_own_format(tmp_path: Path, fmt: str) -> None:
    generate(tmp_path, 20, seed=3, fmt=fmt)
    at = dt.datetime(2026, 11, 2, 9, 30)
    request_id = request_erasure(tmp_path, "S000000007", request_id="R-TEST", received_at=at)
    assert request_id == "R-TEST"
    if fmt == "csv":
        last = (tmp_path / "erasure_requests.csv").read_text().splitlines()[-1]
        assert last == "R-TEST,S000000007,2026-11-02 09:30:00"
    else:
        table = pq.read_table(tmp_path / "erasure_requests.parquet")
        assert table.slice(table.num_rows - 1).to_pylist()[0] == {
            "request_id": "R-TEST",
            "subject_id": "S000000007",
            "received_at": at,
        }
    with pytest.raises(UnknownSubject):
        request_erasure(tmp_path, "S000000007 ")  # no trimming: this id is nobody
