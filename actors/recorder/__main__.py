from actors.recorder.main import main

raise SystemExit(main())
