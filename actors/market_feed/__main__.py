from actors.market_feed.main import main

raise SystemExit(main())
