"""Run the benchmark from a checkout: ``python benchmarks/run.py [options]``.

It runs the installed package (``pip install .`` or an editable install
first), exactly as ``pygraph bench`` does; options: ``--help``.
"""

import sys

from pygraph.benchmarks import harness

if __name__ == "__main__":
    sys.exit(harness.main(sys.argv[1:]))
