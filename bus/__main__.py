from bus.proxy import main

raise SystemExit(main())
