"""Operations commands, not run by the DAG: database roles, quarantine retention."""
