from actors.inventory.main import main

raise SystemExit(main())
