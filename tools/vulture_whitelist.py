"""Names vulture cannot see used (``make lint`` runs ``vulture plugins dags tools/vulture_whitelist.py``).

Each is called by a framework or looked up by name; the few public helpers that only the tests call today are
listed with their reason. Anything else vulture reports is dead: delete it.
"""

from ektp.airflow.notifications import RunAlertNotifier
from ektp.core import nik, pseudonym
from ektp.core.settings import Settings
from ektp.ingest import data_docs, gx_expectations, landing, registry, validation
from ektp.outputs import followup
from ektp.outputs.report.page import Col
from ektp.warehouse import engine

# Airflow: the triggerer awaits a deadline callback's async_notify.
RunAlertNotifier.async_notify

# The report's Jinja2 template (outputs/templates/report.html) reads these.
Col.title

# Settings are read by field name (ektp.core.settings.setting("...")).
Settings.var_dir
Settings.data_docs_dir
Settings.data_docs
Settings.reports
Settings.pseudonym_key
Settings.alert_webhook_url
Settings.alert_webhook_timeout
Settings.alert_notifier
Settings.alert_notifier_kwargs
Settings.run_deadline_minutes
Settings.task_timeout
Settings.run_timeout
Settings.retry_delay
Settings.owner_link
Settings.retry_in_dags_test
Settings.pg_connect_timeout
Settings.pg_statement_timeout
Settings.pg_lock_timeout
Settings.write_lock_wait

# Great Expectations finds custom metrics and expectations by their registered class, not by a call.
gx_expectations.ExpectColumnValuesToBeNikWithKnownRegion
gx_expectations.ExpectColumnValuesToBeNikWithRealBirthDate
gx_expectations.ExpectColumnValuesToBeNikWithNonzeroSerial
gx_expectations.ExpectColumnValuesToBeNikWithListedPrefix
gx_expectations.ExpectColumnValuesToBeIsoCalendarDates
gx_expectations.ExpectColumnValuesToBeIsoTimestampsWithOffset
gx_expectations.ExpectColumnValuesToBeCurrentKelurahanCodes
gx_expectations.ColumnValuesNikRegion
gx_expectations.ColumnValuesNikBirthDate
gx_expectations.ColumnValuesNikSerial
gx_expectations.ColumnValuesNikPrefixListed
gx_expectations.ColumnValuesIsoDate
gx_expectations.ColumnValuesIsoTimestamp
gx_expectations.ColumnValuesKelurahan
gx_expectations._.condition_metric_name
gx_expectations._._pandas
gx_expectations._.map_metric

# Jinja2's bytecode cache protocol, and a module __getattr__ (data_docs), set on objects of GE and Jinja.
data_docs._.load_bytecode
data_docs._.dump_bytecode
data_docs._.bytecode_cache
data_docs.__getattr__
# Great Expectations' settings, assigned on its objects (validation).
validation._.HASH_THRESHOLD
validation._.progress_bars
# SQLAlchemy event listeners, and pysqlite's connection attribute (engine).
engine._._connect
engine._._begin
engine._.isolation_level

# Public helpers the tests use: the NIT rule of the NIK checks, pseudonyms (docs/security.md: the API for any
# identifier that must leave the restricted schemas), and the one-file conveniences of landing and registry.
nik.is_nit
pseudonym.pseudonym
pseudonym.Pseudonymiser.many
landing.scan
landing.fingerprint
registry.load_registry_file
# The suggestions' reference: every candidate at once, the plain way; the tests check that the fast way,
# a block at a time (followup.suggest_in_blocks), gives the same.
followup.suggest
