"""The README's configuration table, made from ``ektp.core.settings.Settings`` (``python -m tools.settings_doc``).

tests/unit/core/test_settings.py checks that the README holds exactly this table.
"""

from __future__ import annotations

from ektp.core.settings import about

BEGIN = "<!-- settings table: python -m tools.settings_doc -->"
END = "<!-- end of settings table -->"


def markdown_table() -> str:
    lines = ["| variable | meaning | default for local runs |", "|---|---|---|"]
    lines += [f"| `{a.env}` | {a.meaning} | {a.default} |" for _, a in about()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(BEGIN, markdown_table(), END, sep="\n")
