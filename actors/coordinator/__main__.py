from actors.coordinator.main import main

raise SystemExit(main())
