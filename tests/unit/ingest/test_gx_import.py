"""Great Expectations is imported without SciPy's stats and Altair, and they still work when used.

Each check runs in a fresh interpreter: whether a module is imported is a fact about one process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from ektp.core.settings import PROJECT_ROOT


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=PROJECT_ROOT, check=True,
                         capture_output=True, text=True, env={"PYTHONPATH": str(PROJECT_ROOT / "plugins"),
                                                              "PATH": "/usr/bin:/bin"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_validating_a_frame_leaves_scipy_stats_and_altair_unimported():
    found = _run("""
        import json, sys
        import pandas as pd
        from ektp.ingest.validation import load_suite, prepare_registry, run_suite
        frame = pd.DataFrame({"nik": ["3201010101900001", "x"], "full_name": ["A", "B"],
                              "birth_date": ["1990-01-01", "1990-01-01"], "sex": ["L", "P"],
                              "kelurahan_code": ["32.01.01.1001", "32.01.01.1001"]})
        result = run_suite(load_suite("registry_extract"), prepare_registry(frame))
        print(json.dumps({"rejected": result.rejected().tolist(),
                          "loaded": [m for m in ("scipy.stats", "altair") if m in sys.modules],
                          "gx": "great_expectations" in sys.modules}))
    """)
    assert found["gx"] is True
    assert found["loaded"] == []
    assert found["rejected"][1] is True  # the suite really ran: "x" is not a NIK


def test_preparing_batch_rows_first_leaves_scipy_stats_and_altair_unimported():
    # a load prepares its rows (ektp.ingest.gx_expectations' date parsers) before it loads a suite
    found = _run("""
        import json, sys
        import pandas as pd
        from ektp.ingest.validation import prepare_batch
        frame = pd.DataFrame({c: ["x"] for c in ("batch_id", "site_code", "site_name", "operator_id", "recorded_at",
                                                 "nik", "full_name", "birth_date", "sex", "kelurahan_code")})
        prepare_batch(frame, pd.Series(["2026-11-02"]))
        print(json.dumps({"loaded": [m for m in ("scipy.stats", "altair") if m in sys.modules],
                          "gx": "great_expectations" in sys.modules}))
    """)
    assert found == {"loaded": [], "gx": True}


def test_a_deferred_module_is_the_real_one_once_used():
    found = _run("""
        import json, sys
        from ektp.ingest.gx_import import import_great_expectations
        import_great_expectations()
        from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
        before = "scipy.stats" in sys.modules
        entropy = kl.stats.entropy([0.5, 0.5])  # the expectation's own reference to scipy.stats
        import scipy.stats
        print(json.dumps({"before": before, "entropy": float(entropy), "same": kl.stats.entropy is scipy.stats.entropy,
                          "real": type(sys.modules["scipy.stats"]).__name__, "alt": kl.alt.__name__}))
    """)
    assert found["before"] is False
    assert found["entropy"] == pytest.approx(0.6931471805599453)
    assert found["same"] is True
    assert found["real"] == "module"  # later imports get the real module, not the placeholder
    assert found["alt"] == "altair"


def test_a_module_imported_before_is_left_alone():
    found = _run("""
        import json, sys
        import scipy.stats
        real = sys.modules["scipy.stats"]
        from ektp.ingest.gx_import import import_great_expectations
        import_great_expectations()
        from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
        print(json.dumps({"same": kl.stats is real}))
    """)
    assert found["same"] is True
