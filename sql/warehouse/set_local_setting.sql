-- PostgreSQL: a setting for the rest of this transaction (SET LOCAL with the value bound).
SELECT set_config(:name, :value, true);
