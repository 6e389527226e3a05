"""``python -m ektp.outputs.report --date YYYY-MM-DD``: write one date's report from the warehouse."""

from ektp.outputs.report import main

main()
