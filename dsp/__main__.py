"""``python -m dsp`` is the ``dci-dsp`` command."""
import sys

from dsp.cli import main

sys.exit(main())
