"""``python -m kabar`` runs the CLI."""

import sys

from kabar.cli import main

sys.exit(main())
