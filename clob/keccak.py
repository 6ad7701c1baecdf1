"""Keccak-256 with as little Python per call as possible.

pycryptodome's ``Crypto.Hash.keccak.new(...).digest()`` builds a hash object, two pointer wrappers and
an output buffer on every call. On this machine a hash takes ~6.8 µs warm, and far more when the
caches are cold (every event of the hot path starts cold: small-object creation alone costs ~9 µs
each then, see docs/performance.md). Here one keccak state and one output buffer per thread are
reused, and the same C library (pycryptodome's ``_keccak`` extension, loaded through our own ctypes
handle so its own bindings are untouched) is called three times: reset, absorb, digest (~3 µs warm).
If the library cannot be loaded this way, pycryptodome's public API is used. Both give identical
bytes (tests/unit/test_clob_keccak.py).
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import threading
from collections.abc import Callable
from pathlib import Path

import Crypto.Hash
from Crypto.Hash import keccak as _keccak

_RATE_CAPACITY_BYTES = 64  # keccak-256: capacity 512 bits
_ROUNDS = 24
_PADDING = 0x01  # original Keccak padding (Ethereum), not SHA-3's 0x06


def portable(data: bytes) -> bytes:
    return _keccak.new(data=data, digest_bits=256).digest()


def _load() -> Callable[[bytes], bytes] | None:
    folder = Path(Crypto.Hash.__file__).parent
    paths = [folder / f"_keccak{suffix}" for suffix in importlib.machinery.EXTENSION_SUFFIXES]
    path = next((p for p in paths if p.exists()), None)
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(str(path))
        ptr, size, u8 = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint8
        lib.keccak_init.argtypes = [ctypes.POINTER(ptr), size, u8]
        lib.keccak_init.restype = ctypes.c_int
        lib.keccak_reset.argtypes = [ptr]
        lib.keccak_absorb.argtypes = [ptr, ctypes.c_char_p, size]
        lib.keccak_digest.argtypes = [ptr, ctypes.c_char_p, size, u8]
    except (OSError, AttributeError):
        return None
    local = threading.local()
    reset, absorb, digest = lib.keccak_reset, lib.keccak_absorb, lib.keccak_digest

    def state() -> tuple[int, ctypes.Array[ctypes.c_char]]:
        handle = ctypes.c_void_p()
        if lib.keccak_init(ctypes.byref(handle), _RATE_CAPACITY_BYTES, _ROUNDS) != 0 or not handle.value:
            raise MemoryError("keccak_init failed")
        local.state = (handle.value, ctypes.create_string_buffer(32))  # kept for the thread's life
        return local.state

    def keccak256(data: bytes) -> bytes:
        try:
            handle, out = local.state
        except AttributeError:
            handle, out = state()
        reset(handle)
        absorb(handle, data, len(data))
        digest(handle, out, 32, _PADDING)
        return out.raw

    try:
        if keccak256(b"") != portable(b""):  # the known empty-string digest, both ways
            return None
    except (OSError, MemoryError, ctypes.ArgumentError):
        return None
    return keccak256


fast = _load()
keccak256: Callable[[bytes], bytes] = fast or portable
