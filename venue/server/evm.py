"""Just enough of Ethereum's encodings to read what polymarket-client sends the chain: ABI words, arrays and
bytes of call data; RLP; a signed legacy (EIP-155) transaction and its sender; the digests the relayer's
signatures are over (EIP-191 personal messages, EIP-712). Pure; every malformed input raises ``EvmError``.
"""

from __future__ import annotations

from typing import NamedTuple

from clob.eip712 import keccak256
from clob.signer import SignatureError, checksum_address, recover_address


class EvmError(ValueError):
    pass


def selector(signature: str) -> bytes:
    return keccak256(signature.encode())[:4]


def word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def address_word(address: str) -> bytes:
    raw = bytes.fromhex(address[2:] if address[:2] in ("0x", "0X") else address)
    if len(raw) != 20:
        raise EvmError(f"not an address: {address!r}")
    return b"\x00" * 12 + raw


def hex_bytes(text: object) -> bytes:
    if not isinstance(text, str) or text[:2] not in ("0x", "0X"):
        raise EvmError("expected 0x-hex")
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        raise EvmError("bad hex") from None


class Args:
    """ABI-encoded arguments (call data after the selector): the head's words and the dynamic parts."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def uint(self, index: int, base: int = 0) -> int:
        at = base + 32 * index
        if at + 32 > len(self.data):
            raise EvmError("call data too short")
        return int.from_bytes(self.data[at:at + 32], "big")

    def address(self, index: int, base: int = 0) -> str:
        value = self.uint(index, base)
        if value >> 160:
            raise EvmError("bad address word")
        return checksum_address("0x" + value.to_bytes(20, "big").hex())

    def bytes32(self, index: int) -> str:
        return "0x" + self.uint(index).to_bytes(32, "big").hex()

    def uints(self, index: int, base: int = 0) -> list[int]:
        """A dynamic ``uint256[]`` whose offset is head word ``index`` (relative to ``base``)."""
        at = base + self._offset(index, base)
        return [self.uint(1 + i, at) for i in range(self._length(at))]

    def addresses(self, index: int) -> list[str]:
        at = self._offset(index, 0)
        return [self.address(1 + i, at) for i in range(self._length(at))]

    def blob(self, index: int, base: int = 0) -> bytes:
        """A dynamic ``bytes`` whose offset is head word ``index`` (relative to ``base``)."""
        at = base + self._offset(index, base)
        n = self._length(at)
        if at + 32 + n > len(self.data):
            raise EvmError("bytes past the end of the call data")
        return self.data[at + 32:at + 32 + n]

    def tuples(self, index: int) -> list[int]:
        """The start of each element of a dynamic array of dynamic tuples (head word ``index``)."""
        at = self._offset(index, 0)
        return [at + 32 + self.uint(1 + i, at) for i in range(self._length(at))]

    def _offset(self, index: int, base: int) -> int:
        offset = self.uint(index, base)
        if offset > len(self.data):
            raise EvmError("offset past the end of the call data")
        return offset

    def _length(self, at: int) -> int:
        n = self.uint(0, at)
        if n > len(self.data):
            raise EvmError("length past the end of the call data")
        return n


def encode_uints(values: list[int]) -> str:
    """The return data of a function returning ``uint256[]``."""
    return "0x" + (word(32) + word(len(values)) + b"".join(word(v) for v in values)).hex()


# -- RLP ------------------------------------------------------------------------------------------

RlpItem = bytes | list["RlpItem"]


def rlp_decode(data: bytes) -> RlpItem:
    item, end = _rlp_item(data, 0)
    if end != len(data):
        raise EvmError("trailing bytes after the RLP item")
    return item


def _rlp_item(data: bytes, at: int) -> tuple[RlpItem, int]:
    if at >= len(data):
        raise EvmError("truncated RLP")
    lead = data[at]
    if lead < 0x80:
        return data[at:at + 1], at + 1
    if lead < 0xB8:
        return _rlp_span(data, at + 1, lead - 0x80)
    if lead < 0xC0:
        n = lead - 0xB7
        return _rlp_span(data, at + 1 + n, int.from_bytes(data[at + 1:at + 1 + n], "big"))
    if lead < 0xF8:
        start, length = at + 1, lead - 0xC0
    else:
        n = lead - 0xF7
        start, length = at + 1 + n, int.from_bytes(data[at + 1:at + 1 + n], "big")
    end = start + length
    if end > len(data):
        raise EvmError("truncated RLP list")
    items: list[RlpItem] = []
    while start < end:
        item, start = _rlp_item(data, start)
        items.append(item)
    return items, end


def _rlp_span(data: bytes, start: int, length: int) -> tuple[bytes, int]:
    if start + length > len(data):
        raise EvmError("truncated RLP string")
    return data[start:start + length], start + length


def rlp_encode(item: RlpItem) -> bytes:
    if isinstance(item, bytes):
        if len(item) == 1 and item[0] < 0x80:
            return item
        return _rlp_length(len(item), 0x80) + item
    body = b"".join(rlp_encode(x) for x in item)
    return _rlp_length(len(body), 0xC0) + body


def _rlp_length(n: int, offset: int) -> bytes:
    if n < 56:
        return bytes((offset + n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((offset + 55 + len(raw),)) + raw


def rlp_int(value: int) -> bytes:
    return b"" if value == 0 else value.to_bytes((value.bit_length() + 7) // 8, "big")


# -- transactions and signatures ----------------------------------------------------------------------


class Transaction(NamedTuple):
    sender: str  # checksummed, recovered from the signature
    nonce: int
    to: str
    value: int
    data: bytes
    chain_id: int
    hash: str  # 0x keccak of the raw bytes


def legacy_transaction(raw: bytes) -> Transaction:
    """A signed legacy transaction (what ``eth_account`` signs for a ``gasPrice`` dict with ``chainId``)."""
    item = rlp_decode(raw)
    if not isinstance(item, list) or len(item) != 9 or not all(isinstance(x, bytes) for x in item):
        raise EvmError("not a signed legacy transaction")
    nonce, gas_price, gas, to, value, data, v, r, s = (x for x in item if isinstance(x, bytes))
    v_int = int.from_bytes(v, "big")
    if v_int < 35:
        raise EvmError("not an EIP-155 transaction")
    chain_id, recid = (v_int - 35) // 2, (v_int - 35) % 2
    unsigned = rlp_encode([nonce, gas_price, gas, to, value, data, rlp_int(chain_id), b"", b""])
    signature = "0x" + r.rjust(32, b"\0").hex() + s.rjust(32, b"\0").hex() + f"{27 + recid:02x}"
    if len(to) != 20:
        raise EvmError("a transaction without a 20-byte recipient")
    try:
        sender = recover_address(keccak256(unsigned), signature)
    except SignatureError as error:
        raise EvmError(str(error)) from None
    return Transaction(sender=sender, nonce=int.from_bytes(nonce, "big"),
                       to=checksum_address("0x" + to.hex()), value=int.from_bytes(value, "big"), data=data,
                       chain_id=chain_id, hash="0x" + keccak256(raw).hex())


def personal_digest(message: bytes) -> bytes:
    """EIP-191 version 0x45 (``personal_sign``): what ``encode_defunct`` signs."""
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)


def eip712_digest(domain_separator: bytes, struct_hash: bytes) -> bytes:
    return keccak256(b"\x19\x01" + domain_separator + struct_hash)


def recover(digest: bytes, signature: str) -> str:
    try:
        return recover_address(digest, signature)
    except (SignatureError, ValueError) as error:
        raise EvmError(f"invalid signature: {error}") from None
