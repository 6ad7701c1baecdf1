from actors.dash.main import main

raise SystemExit(main())
