"""Developer tools, not part of the pipeline: the sample-data generator and the benchmark.

They run with the checkout root and ``plugins/`` on PYTHONPATH. The image does not ship them (Dockerfile).
"""
