# pm-maker: the engine's commands. Everything runs from the project's own virtualenv (.venv).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
VAR := $(CURDIR)/var
CONF := $(VENV)/etc/supervisord.conf
CTL := $(BIN)/supervisorctl -c $(CONF)
export PM_ROOT := $(CURDIR)
export PM_VAR := $(VAR)

.PHONY: install up down status reload tap test test-all lint bench bench-tick chaos reset-paper clean

## install: create .venv with the pinned dependencies, var/run (0700), var/log, the supervisorctl config
install: $(VENV)/.installed $(CONF) | $(VAR)/run $(VAR)/log

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	@# the project's own packages are used in place: a .pth file puts the repository on sys.path
	echo "$(CURDIR)" > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/pm_maker.pth"
	@touch $@

$(CONF): deploy/write_ctl_conf.sh | $(VENV)/.installed
	deploy/write_ctl_conf.sh $(CURDIR) $(VAR) $(VENV)

$(VAR)/run:
	mkdir -p -m 700 $@
	chmod 700 $@

$(VAR)/log:
	mkdir -p $@

GENERATED := $(VAR)/supervisord.generated.conf

.PHONY: render
render: install
	@$(BIN)/python deploy/render.py $(GENERATED)

## up: start supervisord (groups venue, core, market) and wait for the bus
up: render
	@if [ -n "$${POLYMARKET_PRIVATE_KEY:-}" ]; then \
	  echo "POLYMARKET_PRIVATE_KEY is exported in this shell: supervisord would hand it to every program." >&2; \
	  echo "Put it in .env (chmod 600) instead: only the executor reads it from there. Then: unset it." >&2; \
	  exit 2; \
	fi
	@if [ -f $(VAR)/run/supervisord.pid ] && kill -0 $$(cat $(VAR)/run/supervisord.pid) 2>/dev/null; then \
	  echo "supervisord already running"; \
	else \
	  $(BIN)/supervisord -c $(CONF) && echo "supervisord started"; \
	fi
	@for i in $$(seq 1 150); do \
	  $(CTL) status core:bus 2>/dev/null | grep -Eq 'RUNNING|Not started' && { $(CTL) status; exit 0; }; sleep 0.1; \
	done; echo "bus did not reach RUNNING; see var/log/" >&2; $(CTL) status; exit 1

## down: stop every program (bus last) and supervisord itself; leaves no process behind
down:
	@if [ -f $(VAR)/run/supervisord.pid ] && kill -0 $$(cat $(VAR)/run/supervisord.pid) 2>/dev/null; then \
	  pid=$$(cat $(VAR)/run/supervisord.pid); \
	  $(CTL) shutdown; \
	  for i in $$(seq 1 300); do kill -0 $$pid 2>/dev/null || { echo "stopped"; exit 0; }; sleep 0.1; done; \
	  echo "supervisord $$pid did not exit" >&2; exit 1; \
	else echo "not running"; fi

## status: supervisorctl status
status:
	@$(CTL) status || true

## reload: re-read deploy/supervisord.conf and apply changes (new markets)
reload: render
	$(CTL) reread
	$(CTL) update

## tap: print every bus message (see `python -m actors.tap --help` for --json, --prefix, --stats, --record)
tap: install
	$(BIN)/python -m actors.tap $(TAP_ARGS)

## test: install, then the whole suite (unit, integration over real sockets, short end-to-end runs)
test: install
	$(BIN)/python -m pytest -m "not slow"

## test-all: also the long runs
test-all: install
	$(BIN)/python -m pytest

## lint: ruff and mypy
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

## bench: performance figures side by side (printed, and written to bench/results.json); ~2 min
bench: install
	$(BIN)/python -m bench

## bench-tick: tick to order only (~30 s), for A/B runs between revisions (see bench/tick.py)
bench-tick: install
	$(BIN)/python -m bench.tick

## chaos: 30 rounds of kill -9 under faults against the venue (last line: chaos: rounds=N kills=K ...)
chaos: install
	$(BIN)/python -m tests.support.chaos --rounds 30 --interval 3 $(CHAOS_ARGS)

## reset-paper: a fresh paper account: delete the venue's state (var/venue.sqlite) and the engine's journals
##   (inventory, executor, user-feed, derived API credentials) together; asks first (CONFIRM=yes: does not);
##   refused while `make up` runs. The only way to start over: `make down` / `make up` keeps the account.
reset-paper: install
	@$(BIN)/python deploy/reset_paper.py $(if $(filter yes,$(CONFIRM)),--yes)

## dash: the live terminal dashboard (listens only; q quits, / filters markets)
.PHONY: dash
dash: install
	@$(BIN)/python -m actors.dash $(DASH_ARGS)

## ctl: the operator's commands (`make ctl ARGS="status"`; ./pmctl is the same without make)
.PHONY: ctl ctl-status positions orders pnl cancel-all doctor livetest
ctl: install
	@$(BIN)/python -m actors.ctl $(ARGS)

## ctl-status, positions, orders, pnl: the listings (`./pmctl status` ...); cancel-all: every order, acknowledged;
## doctor: the pre-flight checklist; livetest: one harmless order through the whole chain (ARGS="--yes-real-money" live)
ctl-status positions orders pnl cancel-all doctor livetest: install
	@$(BIN)/python -m actors.ctl $(patsubst ctl-%,%,$@) $(ARGS)

## clean: remove .venv, sockets and logs (keeps var/*.sqlite: the paper account, fill journal, order registry)
clean:
	rm -rf $(VENV) $(VAR)/run $(VAR)/log

.PHONY: backtest-live bench-backtest
## backtest-live: the engine vs the venue for 10 min with the recorder on, the recording backtested and compared
##   (docs/backtest.md, "Backtest against live"); figures in var/backtest-live.json
backtest-live: install
	PM_BT_LIVE_MINUTES=$${PM_BT_LIVE_MINUTES:-10} PM_BT_LIVE_OUT=$(VAR)/backtest-live.json \
	  $(BIN)/python -m pytest -s tests/e2e/test_backtest_live.py::test_backtest_fill_count_stays_near_live

## bench-backtest: the backtester's events per second on one core only (merged into bench/results.json)
bench-backtest: install
	$(BIN)/python -m bench.backtest

.PHONY: stop-buys
## stop-buys: cancel every BUY order of the account, the rewards coordinators only hedge from now on (sells
##   stay); prints the session's statistics. `make stop-buys STOP_ARGS=--resume` lets them bid again.
stop-buys: install
	$(BIN)/python -m actors.ctl stop-buys $(STOP_ARGS)
