"""`python -m core ...`: the ProtScope command line."""
import sys

from core.cli import main

sys.exit(main())
