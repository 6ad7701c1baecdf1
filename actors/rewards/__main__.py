import sys

if sys.argv[1:2] == ["score"]:
    from actors.rewards.score_cli import main as score_main

    raise SystemExit(score_main(sys.argv[2:]))

from actors.rewards.main import main

raise SystemExit(main())
