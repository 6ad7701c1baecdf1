from actors.metrics.main import main

raise SystemExit(main())
