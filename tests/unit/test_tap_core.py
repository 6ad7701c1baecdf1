import io
import json

import pytest

from actors.tap import core
from actors.tap.main import Output, parse_args
from bus import codec
from bus.codec import Header
from tests.support.samples import SAMPLES


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda m: type(m).__name__)
def test_json_line_has_the_documented_keys(msg: object) -> None:
    line = json.loads(core.as_json(b"sys.hb.bus.", Header(1, "bus", 1, 7, 123), msg))  # type: ignore[arg-type]
    assert list(line) == ["topic", "src", "seq", "ts_ns", "type", "body"]
    assert (line["topic"], line["src"], line["seq"], line["ts_ns"]) == ("sys.hb.bus.", "bus", 7, 123)
    assert line["type"] == type(msg).__name__
    assert set(line["body"]) == set(msg.__struct_fields__)  # type: ignore[attr-defined]


def test_book_body_levels_are_price_size_pairs_best_first() -> None:
    line = json.loads(core.as_json(b"md.book.1.", Header(1, "market-feed", 1, 1, 1), SAMPLES[0]))
    assert line["body"]["bids"] == [[480_000, 10_000_000], [470_000, 5_000_000]]


def test_text_line_is_one_line() -> None:
    text = core.as_text(b"md.book.1.", Header(1, "market-feed", 1, 9, 1_700_000_000_000_000_000), SAMPLES[0])
    assert "\n" not in text
    assert "md.book.1. market-feed#9 Book" in text


def test_recording_round_trips_losslessly() -> None:
    buf = io.BytesIO()
    buf.write(core.RECORD_MAGIC)
    originals = []
    for i, msg in enumerate(SAMPLES):
        frames = [b"t.x.y.", codec.encode_header("p", 1, i + 1, i), codec.encode_body(msg)]
        originals.append((1000 + i, frames))
        core.write_record(buf, 1000 + i, frames)
    buf.seek(0)
    assert list(core.read_records(buf)) == originals


def test_truncated_recording_is_reported() -> None:
    buf = io.BytesIO()
    buf.write(core.RECORD_MAGIC)
    core.write_record(buf, 1, [b"t.x.y.", b"h", b"b"])
    data = buf.getvalue()[:-2]
    with pytest.raises(ValueError, match="truncated"):
        list(core.read_records(io.BytesIO(data)))
    with pytest.raises(ValueError, match="magic"):
        list(core.read_records(io.BytesIO(b"nope")))


def test_stats_count_rates_and_gaps() -> None:
    stats = core.Stats()
    for seq in (1, 2, 5):
        stats.observe(b"md.book.1.", Header(1, "market-feed", 1, seq, 0))
    lines = stats.report(1.0)
    assert "md.book.1." in lines[1]
    assert lines[1].split()[-1] == "2"  # gaps
    assert lines[1].split()[-3] == "3"  # messages


def test_a_flood_of_undecodable_frames_is_counted_and_its_lines_throttled(
        capsys: pytest.CaptureFixture[str]) -> None:
    out = Output(parse_args(["--json"]))
    for _ in range(2000):
        out.show([b"md.book.1.", b"not a header", b"not a body"])
    lines = capsys.readouterr().err.splitlines()
    assert out.bad == 2000 and out.seen == 0
    assert len(lines) == 12 and lines[0].startswith("tap: undecodable frame") and lines[-1].endswith("[2000]")
