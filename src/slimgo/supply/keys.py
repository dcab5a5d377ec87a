"""Signing keys as cosign keeps them: ECDSA P-256, the private key encrypted (scrypt + NaCl secretbox) under a
password in `cosign.key`, the public key as PEM in `cosign.pub`; plain PEM keys and `env://VAR` read too."""

from __future__ import annotations

__all__ = [
    "ENCRYPTED_TYPES",
    "PASSWORD_ENV",
    "KeyProblem",
    "generate",
    "load_private",
    "load_public",
    "read_key_text",
    "sign",
    "verifies",
]

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from slimgo.errors import InputError, SlimgoError, UsageError

ENCRYPTED_TYPES = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")
WRITTEN_TYPE = "ENCRYPTED SIGSTORE PRIVATE KEY"  # what cosign v2 writes
SCRYPT_N, SCRYPT_R, SCRYPT_P = 65536, 8, 1  # cosign's (go-securesystemslib's) defaults
MAX_SCRYPT_N = 1 << 17  # with r <= 8: at most 128 MiB; a key file asking for more is not one cosign wrote
MAX_KEY_BYTES = 64 << 10
PASSWORD_ENV = "COSIGN_PASSWORD"


class KeyProblem(SlimgoError):
    """A key that cannot be read or used: wrong password, wrong type, not a key (exit code 1)."""


@dataclass(frozen=True)
class KeyPair:
    private_pem: bytes  # encrypted, as cosign writes cosign.key
    public_pem: bytes


def read_key_text(reference: str, what: str) -> bytes:
    """The bytes a key reference names: `env://VAR` (the variable's value) or a file path."""
    if reference.startswith("env://"):
        name = reference[len("env://"):]
        value = os.environ.get(name)
        if not value:
            raise InputError(f"--key {reference}", f"names the environment variable {name}, which is not set",
                             f"export {name} with the PEM {what}")
        return value.encode()
    if "://" in reference:
        raise UsageError(f"--key {reference}", "is a key management service reference, which slimgo cannot reach",
                         "export the key to a file or env://VAR; keyless signing (Fulcio/Rekor) needs the "
                         "public sigstore services and is not supported offline")
    path = Path(reference)
    if not path.is_file():
        raise InputError(f"--key {reference}", "does not exist" if not path.exists() else "is not a file",
                         f"give the path of the {what} (slimgo keygen writes cosign.key and cosign.pub)")
    with open(path, "rb") as stream:
        data = stream.read(MAX_KEY_BYTES + 1)
    if len(data) > MAX_KEY_BYTES:
        raise InputError(f"--key {reference}", f"is larger than {MAX_KEY_BYTES} bytes", f"give a PEM {what}")
    return data


def _pem_blocks(data: bytes) -> tuple[str, bytes]:
    """The type and base64-decoded body of the first PEM block."""
    text = data.decode("ascii", "replace")
    start = text.find("-----BEGIN ")
    if start < 0:
        raise ValueError("no PEM block")
    head_end = text.index("-----", start + 11)
    kind = text[start + 11:head_end]
    end = text.index(f"-----END {kind}-----", head_end)
    body = "".join(text[head_end + 5:end].split())
    return kind, base64.b64decode(body)


def generate(password: bytes) -> KeyPair:
    from cryptography.hazmat.primitives import serialization

    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    sealed = encrypt(der, password)
    body = base64.encodebytes(sealed).decode().replace("\n", "")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    private = "\n".join([f"-----BEGIN {WRITTEN_TYPE}-----", *lines, f"-----END {WRITTEN_TYPE}-----", ""])
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return KeyPair(private.encode(), public)


def encrypt(plaintext: bytes, password: bytes) -> bytes:
    """go-securesystemslib's encrypted.Encrypt: scrypt derives the key, NaCl secretbox seals, JSON holds it."""
    import nacl.secret
    import nacl.utils

    salt = nacl.utils.random(32)
    nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    box = nacl.secret.SecretBox(_derive(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P))
    ciphertext = box.encrypt(plaintext, nonce).ciphertext
    document = {"kdf": {"name": "scrypt", "params": {"N": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
                        "salt": base64.b64encode(salt).decode()},
                "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
                "ciphertext": base64.b64encode(ciphertext).decode()}
    return json.dumps(document).encode()


def _derive(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(password)


def decrypt(sealed: bytes, password: bytes, subject: str) -> bytes:
    import nacl.exceptions
    import nacl.secret

    try:
        document: Any = json.loads(sealed)
        kdf, cipher = document["kdf"], document["cipher"]
        params = kdf["params"]
        n, r, p = int(params["N"]), int(params["r"]), int(params["p"])
        salt = base64.b64decode(kdf["salt"])
        nonce = base64.b64decode(cipher["nonce"])
        ciphertext = base64.b64decode(document["ciphertext"])
    except (ValueError, KeyError, TypeError) as err:
        raise KeyProblem(subject, f"is not an encrypted cosign key ({err})", "give a key cosign or slimgo wrote") \
            from None
    if kdf.get("name") != "scrypt" or cipher.get("name") != "nacl/secretbox":
        raise KeyProblem(subject, f"is encrypted with {kdf.get('name')}/{cipher.get('name')}, not scrypt and "
                        "nacl/secretbox", "give a key cosign or slimgo wrote")
    if not (1 < n <= MAX_SCRYPT_N and n & (n - 1) == 0 and 0 < r <= 8 and 0 < p <= 4):
        raise KeyProblem(subject, f"asks for scrypt parameters N={n} r={r} p={p}, beyond what cosign writes",
                        "give a key cosign or slimgo wrote")
    try:
        return nacl.secret.SecretBox(_derive(password, salt, n, r, p)).decrypt(ciphertext, nonce)
    except (nacl.exceptions.CryptoError, ValueError):
        raise KeyProblem(subject, "cannot be decrypted: the password is wrong",
                        f"set {PASSWORD_ENV} to the password the key was written with") from None


def load_private(data: bytes, subject: str, password: bytes | None) -> ec.EllipticCurvePrivateKey:
    """An encrypted cosign key (with ``password``) or a plain PEM private key."""
    try:
        kind, body = _pem_blocks(data)
    except ValueError:
        raise KeyProblem(subject, "is not a PEM private key", "give cosign.key or a PEM EC private key") from None
    if kind in ENCRYPTED_TYPES:
        if password is None:
            raise KeyProblem(subject, "is encrypted and no password was given",
                            f"set {PASSWORD_ENV}, or run on a terminal to be asked")
        der = decrypt(body, password, subject)
        key: Any = _p256_private(der, pkcs8=True)
        if key is None:
            from cryptography.hazmat.primitives import serialization

            key = serialization.load_der_private_key(der, None)
    else:
        key = _p256_private(body, pkcs8=kind == "PRIVATE KEY") if kind in ("PRIVATE KEY", "EC PRIVATE KEY") and \
            b"Proc-Type:" not in data else None
        key = key or _load_pem_private(data, kind, password, subject)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyProblem(subject, "is not an ECDSA P-256 key", "slimgo signs with ECDSA P-256 keys, as cosign does")
    return key


def _load_pem_private(data: bytes, kind: str, password: bytes | None, subject: str) -> Any:
    from cryptography.hazmat.primitives import serialization

    try:
        encrypted = kind == "ENCRYPTED PRIVATE KEY" or b"Proc-Type: 4,ENCRYPTED" in data
        return serialization.load_pem_private_key(data, password if encrypted else None)
    except (ValueError, TypeError) as err:
        raise KeyProblem(subject, f"is not a usable PEM private key ({err})",
                         "give cosign.key or an unencrypted PEM EC private key") from None


# DER of the AlgorithmIdentifier {id-ecPublicKey, prime256v1} and of the prime256v1 OID itself
_P256_ALGORITHM = bytes.fromhex("301306072a8648ce3d020106082a8648ce3d030107")
_P256_OID = bytes.fromhex("06082a8648ce3d030107")


def _der(data: bytes, pos: int, tag: int) -> tuple[int, int]:
    """The (start, end) of the contents of the DER element with ``tag`` at ``pos``; ValueError if it is not."""
    if pos + 2 > len(data) or data[pos] != tag:
        raise ValueError("unexpected DER")
    length, pos = data[pos + 1], pos + 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 2 or pos + count > len(data):
            raise ValueError("unexpected DER length")
        length, pos = int.from_bytes(data[pos:pos + count], "big"), pos + count
    if pos + length > len(data):
        raise ValueError("truncated DER")
    return pos, pos + length


def _p256_private(der: bytes, pkcs8: bool) -> ec.EllipticCurvePrivateKey | None:
    """An unencrypted P-256 key in PKCS#8 or SEC 1 DER, read without cryptography's serialization module (whose
    import is most of what signing adds to a build); None for anything else, which that module then reads."""
    try:
        if pkcs8:  # SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING { ECPrivateKey } }
            start, end = _der(der, 0, 0x30)
            if end != len(der) or der[start:start + 3] != b"\x02\x01\x00" or \
                    der[start + 3:start + 3 + len(_P256_ALGORITHM)] != _P256_ALGORITHM:
                return None
            inner_start, inner_end = _der(der, start + 3 + len(_P256_ALGORITHM), 0x04)
            der, curve_known = der[inner_start:inner_end], True
        else:
            curve_known = False
        start, end = _der(der, 0, 0x30)  # ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING d, [0] curve, ... }
        if end != len(der) or der[start:start + 3] != b"\x02\x01\x01":
            return None
        d_start, d_end = _der(der, start + 3, 0x04)
        if d_end - d_start != 32:
            return None
        if d_end < end and der[d_end] == 0xA0:
            p_start, p_end = _der(der, d_end, 0xA0)
            if der[p_start:p_end] != _P256_OID:
                return None
            curve_known = True
        if not curve_known:
            return None
        return ec.derive_private_key(int.from_bytes(der[d_start:d_end], "big"), ec.SECP256R1())
    except ValueError:
        return None


def load_public(data: bytes, subject: str) -> ec.EllipticCurvePublicKey:
    from cryptography.hazmat.primitives import serialization

    try:
        key: Any = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        try:  # a private key verifies too: its public half
            return load_private(data, subject, os.environ.get(PASSWORD_ENV, "").encode()).public_key()
        except KeyProblem:
            raise KeyProblem(subject, "is not a PEM public key", "give cosign.pub (slimgo keygen writes one)") \
                from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeyProblem(subject, "is not an ECDSA public key", "give the cosign.pub of the signing key")
    return key


def sign(key: ec.EllipticCurvePrivateKey, payload: bytes) -> bytes:
    """An ASN.1 DER ECDSA signature over SHA-256 of ``payload`` (what cosign stores, base64-encoded)."""
    from cryptography.hazmat.primitives import hashes

    return key.sign(payload, ec.ECDSA(hashes.SHA256()))


def verifies(key: ec.EllipticCurvePublicKey, payload: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes

    try:
        key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True
