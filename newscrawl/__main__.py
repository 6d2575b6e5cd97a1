import sys

from newscrawl.tools.cli import main

sys.exit(main())
