from ztscan.cli import main

raise SystemExit(main())
