import pytest

from bus.codec import Header
from bus.streams import GapCounter


def h(seq: int, run: int = 1, src: str = "a") -> Header:
    return Header(1, src, run, seq, 0)


@pytest.mark.parametrize(
    ("seqs", "gaps"),
    [
        ([1, 2, 3], 0),
        ([1, 3], 1),
        ([1, 5, 6], 3),
        ([5, 6, 7], 0),  # joining late is not a gap
        ([1, 2, 2, 3], 0),  # a duplicate is not a gap
    ],
)
def test_gaps_are_counted_per_stream(seqs: list[int], gaps: int) -> None:
    counter = GapCounter()
    for seq in seqs:
        counter.observe(b"t.", h(seq))
    assert counter.total == gaps


def test_a_restart_is_not_a_gap() -> None:
    counter = GapCounter()
    counter.observe(b"t.", h(10, run=1))
    counter.observe(b"t.", h(1, run=2))
    assert counter.total == 0


def test_streams_are_independent() -> None:
    counter = GapCounter()
    counter.observe(b"t.", h(1, src="a"))
    counter.observe(b"u.", h(1, src="a"))
    counter.observe(b"t.", h(1, src="b"))
    counter.observe(b"t.", h(2, src="a"))
    assert counter.total == 0
    assert counter.observe(b"u.", h(3, src="a")) == 1


def test_gaps_add_up_per_stream_kind_and_survive_a_restart() -> None:
    counter = GapCounter()
    for topic, seq, run in ((b"md.book.1.", 1, 1), (b"md.book.1.", 4, 1), (b"md.book.2.", 1, 1),
                            (b"md.book.2.", 3, 1), (b"sys.hb.x.", 1, 1), (b"sys.hb.x.", 3, 1),
                            (b"md.book.1.", 1, 2), (b"md.book.1.", 2, 2)):  # run 2: a restart, no gap
        counter.observe(topic, h(seq, run=run))
    assert counter.by_kind == {"md.book": 3, "sys.hb": 1}
    assert counter.total == 4
