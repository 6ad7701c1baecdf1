from actors.ofi.main import main

raise SystemExit(main())
