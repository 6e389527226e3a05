-- PostgreSQL: a setting's value in this session (or transaction, after set_config(..., true)).
SELECT current_setting(:name) AS value;
