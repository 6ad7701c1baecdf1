from actors.ctl.main import main

raise SystemExit(main())
