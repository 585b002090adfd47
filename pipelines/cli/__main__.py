"""`python -m tfx_hf.pipelines.cli`: the `tfx-hf` command."""
import sys

from tfx_hf.pipelines.cli import main

sys.exit(main())
