"""What people read, from the published tables: the HTML report, follow-up lists, the coverage table CLI."""
