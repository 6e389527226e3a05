"""Values are bound parameters, identifiers come from code, secrets come from the environment.

A scan of the code and the SQL files (grep-style, with the AST for Python). Text that builds SQL may
only interpolate identifiers that the code itself fixes: a table name mapped by ``warehouse.table``
from a literal, or one of the few reviewed names below. Input values must go in as bound parameters
(``:name`` in sql/*.sql, psycopg's COPY rows, executemany). The corpus test sends SQL-looking input
through the pipeline and checks it is stored as data (tests/corpus, case sql_injection_values), and
tests/unit/warehouse/test_sql_files.py sends hostile values through the SQL file runner itself.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CODE = sorted((ROOT / "plugins" / "ektp").rglob("*.py")) + sorted((ROOT / "dags").glob("*.py"))
SQL_FILES = sorted((ROOT / "sql").rglob("*.sql"))
#: a statement: starts with a verb and has a clause (the text with each interpolation as {})
STATEMENT = re.compile(r"(?s)^\s*(SELECT|INSERT|UPDATE|DELETE|COPY|CREATE|ALTER|DROP|GRANT|REVOKE|TRUNCATE|WITH|LOCK|"
                       r"DO|SET|ANALYZE|VACUUM|REINDEX|CLUSTER|REFRESH|COMMENT)\b.*(\b(FROM|INTO|TABLE|VALUES|STDIN|"
                       r"WHERE|SCHEMA|INDEX|VIEW|ROLE|CONSTRAINT|DATABASE|SET|EXISTS|LOCAL)\b|\(|\{\})")
#: or a piece of one
FRAGMENT = re.compile(r"\b(FROM|INTO|JOIN|UPDATE|TABLE|WHERE|VALUES|AND|OR)\s+\(?['\"]?\{\}"
                      r"|\b(WHERE|AND|OR|SET|ON)\b[^{}]*?(=|<>|<|>|LIKE|IN)\s*\(?['\"]?\{\}")
#: interpolations reviewed as identifiers fixed by code (never a value from a file, a row or a user)
REVIEWED = {
    "name", "cols", "marks",
    "table(conn, qualified)", "', '.join(columns)",
    "found.group(1)",  # warehouse: a view's name, from a file of sql/
    "ix.conname", "ix.index_name", "ix.constraint_def",  # warehouse: PostgreSQL's catalogue, for a table of code
    "qualified", "option",  # warehouse: storage parameters, from a constant of the module
    "column", "sql_type",  # warehouse: columns added since release, from a constant of the module (_ADDED_COLUMNS)
}
TABLE_OF_LITERAL = re.compile(r"(wh\.)?table\(conn, '[a-z_]+\.[a-z_]+'\)")


def _looks_like_sql(text: str) -> bool:
    return bool(STATEMENT.search(text) or FRAGMENT.search(text))


def _sql_strings(tree: ast.AST):
    """(line, kind, interpolated expressions) of every formatted string that looks like SQL."""
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            if _looks_like_sql(text):
                yield node.lineno, "f-string", [ast.unparse(v.value) for v in node.values
                                                if isinstance(v, ast.FormattedValue)]
        elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant)
              and isinstance(node.left.value, str)
              and _looks_like_sql(re.sub(r"%\(?\w*\)?[sdr]", "{}", node.left.value))):
            yield node.lineno, "%-formatting", [ast.unparse(node.right)]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
              and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)
              and _looks_like_sql(re.sub(r"\{[^}]*\}", "{}", node.func.value.value))):
            yield node.lineno, ".format()", [ast.unparse(a) for a in node.args] + [k.arg or "**" for k in node.keywords]


def test_sql_text_interpolates_only_identifiers_fixed_by_code():
    problems = []
    for path in CODE:
        for line, kind, exprs in _sql_strings(ast.parse(path.read_text(encoding="utf-8"))):
            for expr in exprs:
                if kind != "f-string" or not (expr in REVIEWED or TABLE_OF_LITERAL.fullmatch(expr)):
                    problems.append(f"{path.relative_to(ROOT)}:{line}: {kind} interpolates {expr!r}")
    assert not problems, ("SQL built from text: bind values as parameters, or (an identifier fixed by code) "
                          "review it and add it to REVIEWED:\n" + "\n".join(problems))


def test_sql_files_bind_every_value():
    problems = []
    for path in SQL_FILES:
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        rel = path.relative_to(ROOT)
        for pattern, what in ((r"%\(?\w*\)?s\b", "a %s placeholder"), (r"\{\w*\}", "a {} placeholder"),
                              (r"\$\{", "a ${} placeholder"), (r"\bEXECUTE\s+(?!format\()", "EXECUTE of a string")):
            if re.search(pattern, text):
                problems.append(f"{rel}: {what}")
        for call in re.findall(r"format\(\s*'([^']*)'", text):  # dynamic SQL only quotes identifiers (%I)
            if re.search(r"%[^I%]", call):
                problems.append(f"{rel}: format() with a non-identifier placeholder: {call!r}")
    assert not problems, "\n".join(problems)


SECRET_ASSIGN = re.compile(r"(?i)\b(password|passwd|secret|api_key|token|pseudonym_key|fernet_key)\w*\s*[:=]\s*"
                           r"[\"'](?!\s*[\"'])(?![$<{])[^\"'\s]{4,}")
URL_WITH_PASSWORD = re.compile(r"://[^/\s:@\"']+:(?![$<{])[^@\s/\"']+@")


def test_no_secret_in_code_or_sql():
    problems = []
    for path in CODE + SQL_FILES + sorted((ROOT / "scripts").glob("*")):
        if not path.is_file():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if SECRET_ASSIGN.search(line) or URL_WITH_PASSWORD.search(line):
                problems.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:100]}")
    assert not problems, "secrets belong in the environment:\n" + "\n".join(problems)


def test_env_example_leaves_every_secret_empty():
    for n, line in enumerate((ROOT / ".env.example").read_text(encoding="utf-8").splitlines(), 1):
        name, _, value = line.partition("=")
        if not line.startswith("#") and re.search(r"PASSWORD|SECRET|FERNET_KEY|PSEUDONYM_KEY", name):
            assert value.strip() == "", f".env.example:{n}: {name} has a value"


def test_the_scan_sees_a_value_formatted_into_sql():
    tree = ast.parse("q = f\"SELECT * FROM t WHERE nik = '{nik}'\"\nr = 'DELETE FROM t WHERE id = %s' % row_id\n"
                     "s = f'COPY {table(conn, \"ektp_ingest.x\")} FROM STDIN'\n"
                     "m = f'row {n} of the COPY'\nf = f\" AND nik = '{nik}'\"\n")
    found = list(_sql_strings(tree))
    assert sorted((line, kind, exprs) for line, kind, exprs in found) == [
        (1, "f-string", ["nik"]), (2, "%-formatting", ["row_id"]), (3, "f-string", ["table(conn, 'ektp_ingest.x')"]),
        (5, "f-string", ["nik"])]  # a message that mentions COPY is not SQL
    assert not TABLE_OF_LITERAL.fullmatch("nik") and TABLE_OF_LITERAL.fullmatch("table(conn, 'ektp_ingest.x')")
