import sys

from civility.cli import main

sys.exit(main())
