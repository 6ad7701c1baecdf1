from pathlib import Path

from bus.envdoc import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_configuration_reference_is_up_to_date() -> None:
    assert DOC.read_text() == render(), "run: python -m bus.envdoc > docs/configuration.md"


def test_every_seed_variable_is_documented() -> None:
    text = DOC.read_text()
    for name in ("POLYMARKET_MARKET_SLUG", "POLYMARKET_WS_BASE_URL", "POLYMARKET_REST_URL",
                 "POLYMARKET_PRIVATE_KEY", "POLYMARKET_FUNDER_ADDRESS", "POLYMARKET_API_KEY",
                 "POLYMARKET_API_SECRET",
                 "POLYMARKET_API_PASSPHRASE", "PM_DRY_RUN", "PM_PAIR_TARGET", "PM_BID_SIZE", "PM_TICK_SIZE",
                 "PM_REPRICE_THRESHOLD", "PM_DEBOUNCE_MS", "PM_MAX_NET_DIFF", "PM_MAX_PORTFOLIO_COST",
                 "PM_MAX_POSITION_VALUE", "PM_OFI_WINDOW_MS", "PM_OFI_TOXICITY_THRESHOLD"):
        assert f"`{name}`" in text, name
