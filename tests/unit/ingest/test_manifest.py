"""Each way a file is rejected whole gets the contract's files_daily code (§4), from the reason as worded."""

from __future__ import annotations

from datetime import date

import pytest
from ektp.ingest.csv_reader import RejectedFile, open_csv
from ektp.ingest.manifest import file_reason_code
from ektp.ingest.plausibility import Verdict, refusal

REQUIRED = ("nik", "sex")


@pytest.mark.parametrize(("data", "code"), [
    (b"nik,sex\n\xe9,L\n", "not_utf8"),                # Latin-1
    (b"nik,sex\n\xc3", "not_utf8"),                    # ends inside a character
    (b"nik,sex\n1\x00,L\n", "not_utf8"),               # a NUL character
    (b"", "bad_header"),                               # empty
    (b"\nnik,sex\n", "bad_header"),                    # the first line is not the header
    (b"nik,sex,nik\n1,L,1\n", "bad_header"),           # a repeated column
    (b"nik\n1\n", "missing_column"),
])
def test_the_reader_s_reasons_have_their_codes(tmp_path, data, code):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    with pytest.raises(RejectedFile) as caught:
        open_csv(path, REQUIRED)
    assert file_reason_code(caught.value.reason) == code


def test_other_reasons():
    assert file_reason_code(refusal(10, Verdict(date(2026, 11, 1), 100, True))) == "implausible_extract"
    assert file_reason_code("cannot be read: permission denied") == "bad_header"
    with pytest.raises(ValueError, match="no files_daily code"):
        file_reason_code("a reason nobody gave a code")
