"""Developer tools, not part of the pipeline: the sample-data generator and the benchmark.

They need the ``tools`` dependency group (``make venv`` installs it) and the checkout root and
``plugins/`` on PYTHONPATH. The image ships neither them nor their dependencies (Dockerfile).
"""
