import sys

from edin.cli import main

sys.exit(main())
