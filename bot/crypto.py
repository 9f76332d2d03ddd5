"""WeChat message signatures and safe-mode (AES) encryption.

Safe mode: AES-256-CBC with the key from the 43-character EncodingAESKey, the IV its
first 16 bytes, PKCS#7 padding to 32-byte blocks; the plaintext is
16 random bytes + 4-byte big-endian length + message + appid.
Signatures are SHA-1 over the sorted strings and always compared in constant time.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class CryptoError(Exception):
    """Raised for anything wrong with a signature or a ciphertext."""


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def check_signature(expected: str | None, *parts: str) -> bool:
    if not expected:
        return False
    return hmac.compare_digest(signature(*parts).encode(), expected.encode("utf-8", "replace"))


class MessageCrypto:
    def __init__(self, token: str, encoding_aes_key: str, appid: str):
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error:
            raise ValueError("WECHAT_AES_KEY is not a valid EncodingAESKey") from None
        if len(encoding_aes_key) != 43 or len(key) != 32:
            raise ValueError("WECHAT_AES_KEY must be 43 characters (32 bytes)")
        self.token = token
        self.key = key
        self.appid = appid

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, text: str, random: bytes | None = None) -> str:
        body = text.encode()
        raw = (random or os.urandom(16)) + struct.pack(">I", len(body)) + body + self.appid.encode()
        pad = BLOCK - len(raw) % BLOCK
        raw += bytes([pad]) * pad
        enc = self._cipher().encryptor()
        return base64.b64encode(enc.update(raw) + enc.finalize()).decode()

    def decrypt(self, encrypted: str) -> str:
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("ciphertext is not base64") from None
        if not data or len(data) % 16:
            raise CryptoError("ciphertext length is not a whole number of blocks")
        dec = self._cipher().decryptor()
        raw = dec.update(data) + dec.finalize()
        pad = raw[-1]
        if not 1 <= pad <= BLOCK or raw[-pad:] != bytes([pad]) * pad:
            raise CryptoError("bad padding")
        raw = raw[:-pad]
        if len(raw) < 20:
            raise CryptoError("plaintext too short")
        (length,) = struct.unpack(">I", raw[16:20])
        if 20 + length > len(raw):
            raise CryptoError("declared length exceeds the plaintext")
        appid = raw[20 + length:]
        if not hmac.compare_digest(appid, self.appid.encode()):
            raise CryptoError("message is for another appid")
        try:
            return raw[20:20 + length].decode()
        except UnicodeDecodeError:
            raise CryptoError("plaintext is not UTF-8") from None

    def sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return signature(self.token, timestamp, nonce, encrypted)
