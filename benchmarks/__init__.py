"""Benchmarks of the product against floors measured in the same run, against peers, and at scale.

Run them with ``scripts/bench.sh`` (or ``python -m benchmarks.run``); they are not part of the tests.
"""
