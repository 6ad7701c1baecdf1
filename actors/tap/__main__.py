from actors.tap.main import main

raise SystemExit(main())
