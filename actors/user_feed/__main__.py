from actors.user_feed.main import main

raise SystemExit(main())
