"""What every layer may use and that imports no other ektp layer: settings, the calendar, NIK rules, region
code lists, pseudonyms, log escaping, owner-only files."""
