"""Private keys read without cryptography's serialization module (PKCS#8 and SEC 1 P-256 DER) are the same keys it
reads; anything else still goes through it, with its refusals."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from slimgo.supply import keys

PLAIN = serialization.NoEncryption()


def _pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, fmt: serialization.PrivateFormat,
         encryption: serialization.KeySerializationEncryption = PLAIN) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption)


def _number(key: ec.EllipticCurvePrivateKey) -> int:
    return key.private_numbers().private_value


@pytest.mark.parametrize("fmt", [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL])
def test_p256_keys_read_directly(fmt: serialization.PrivateFormat) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    data = _pem(key, fmt)
    kind, body = keys._pem_blocks(data)
    direct = keys._p256_private(body, pkcs8=kind == "PRIVATE KEY")
    assert direct is not None and _number(direct) == _number(key)
    loaded = keys.load_private(data, "k", None)
    assert _number(loaded) == _number(key)
    signature = keys.sign(loaded, b"payload")
    assert keys.verifies(key.public_key(), b"payload", signature)


def test_a_cosign_key_reads_directly() -> None:
    pair = keys.generate(b"pw")
    private = keys.load_private(pair.private_pem, "cosign.key", b"pw")
    public = keys.load_public(pair.public_pem, "cosign.pub")
    assert keys.verifies(public, b"x", keys.sign(private, b"x"))


def test_other_keys_go_through_the_library() -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    body = keys._pem_blocks(_pem(p384, serialization.PrivateFormat.PKCS8))[1]
    assert keys._p256_private(body, pkcs8=True) is None
    with pytest.raises(keys.KeyProblem, match="not an ECDSA P-256 key"):
        keys.load_private(_pem(p384, serialization.PrivateFormat.PKCS8), "p384.pem", None)
    key = ec.generate_private_key(ec.SECP256R1())
    sealed = _pem(key, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw"))
    assert _number(keys.load_private(sealed, "sealed.pem", b"pw")) == _number(key)
    with pytest.raises(keys.KeyProblem, match="not a usable PEM private key"):
        keys.load_private(sealed, "sealed.pem", b"wrong")
    broken = keys._pem_blocks(_pem(key, serialization.PrivateFormat.PKCS8))[1][:-5]
    assert keys._p256_private(broken, pkcs8=True) is None  # truncated: left to the library, which refuses it
