import sys

from softproof.cli import main

sys.exit(main())
