from wnwa.cli import main

raise SystemExit(main())
