"""`python -m protscope ...`: the ProtScope command line."""
import sys

from protscope.cli.main import main

sys.exit(main())
