"""``clob.keccak``: the fast path gives pycryptodome's bytes for any input, in any thread."""

from __future__ import annotations

import random
import threading

from clob import keccak

KNOWN = {  # Ethereum keccak-256 vectors
    b"": "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    b"abc": "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
}


def test_the_fast_path_is_in_use_and_matches_known_vectors() -> None:
    assert keccak.fast is not None and keccak.keccak256 is keccak.fast
    for data, digest in KNOWN.items():
        assert keccak.keccak256(data).hex() == digest == keccak.portable(data).hex()


def test_random_inputs_of_every_length_around_the_rate_match_pycryptodome() -> None:
    rng = random.Random(7)
    lengths = [*range(0, 300), 1000, 4096, 65537]  # the rate is 136 bytes: every boundary is crossed
    for n in lengths:
        data = rng.randbytes(n)
        assert keccak.keccak256(data) == keccak.portable(data), n


def test_threads_have_their_own_state() -> None:
    inputs = [random.Random(i).randbytes(500) for i in range(8)]
    wrong: list[int] = []

    def work(i: int) -> None:
        for _ in range(300):
            if keccak.keccak256(inputs[i]) != keccak.portable(inputs[i]):
                wrong.append(i)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []

