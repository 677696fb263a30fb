"""Node keys, did:key identities, key files and fingerprints."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import base58
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.errors import IdentityError, KeyFileError
from federation.keys import (
    NodeKey,
    did_from_public_key,
    fingerprint,
    is_node_id,
    key_id,
    public_key_from_did,
    public_key_from_kid,
    verify_raw,
)


def _raw(public: object) -> bytes:
    return public.public_bytes(  # type: ignore[attr-defined,no-any-return]
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def test_did_of_zero_seed_is_the_published_value() -> None:
    """The did:key test vector for the all-zero Ed25519 seed."""
    key = NodeKey.from_seed(bytes(32))
    assert key.did == "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
    assert key.kid == "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
    assert _raw(key.public).hex() == (
        "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
    )


@settings(max_examples=50)
@given(st.binary(min_size=32, max_size=32))
def test_did_and_kid_round_trip(seed: bytes) -> None:
    key = NodeKey.from_seed(seed)
    assert key.did.startswith("did:key:z6Mk")
    assert key.did == "did:key:" + key.kid == did_from_public_key(key.public)
    assert _raw(public_key_from_did(key.did)) == _raw(key.public)
    assert _raw(public_key_from_kid(key_id(key.public))) == _raw(key.public)
    assert is_node_id(key.did)
    assert not is_node_id(key.kid)


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ("z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", "not a did:key"),
        ("did:web:example.com", "not a did:key"),
        ("did:key:u6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", "not a multibase"),
        ("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW0", "bad base58btc"),
        ("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW", "not an Ed25519"),
        # the same public key with the secp256k1 multicodec (0xe7 0x01)
        (
            "did:key:z" + base58.b58encode(b"\xe7\x01" + bytes(33)).decode(),
            "not an Ed25519",
        ),
        ("did:key:z" + "1" * 70, "not a multibase"),
    ],
)
def test_bad_node_ids_are_refused(value: str, detail: str) -> None:
    with pytest.raises(IdentityError) as info:
        public_key_from_did(value)
    assert info.value.reason == "bad-identity"
    assert detail in info.value.detail
    assert not is_node_id(value)


@pytest.mark.parametrize("value", [None, 42, ["did:key:z6Mk"], b"did:key:z6Mk"])
def test_non_string_ids_are_not_node_ids(value: object) -> None:
    assert not is_node_id(value)


def test_leading_zero_spelling_is_refused() -> None:
    """One key, one spelling: an extra leading '1' (a zero byte in base58) is not the same kid."""
    kid = NodeKey.from_seed(bytes(32)).kid
    with pytest.raises(IdentityError):
        public_key_from_kid("z1" + kid[1:])


def test_fingerprint_format_and_stability() -> None:
    did = NodeKey.from_seed(bytes(32)).did
    assert fingerprint(did) == "VWIO-YGH5-LYDT-LMPF"
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", fingerprint(did))
    other = NodeKey.from_seed(bytes([1]) * 32).did
    assert fingerprint(other) == "EVWK-UZ3E-UUUK-EJFI"
    assert fingerprint(other) != fingerprint(did)


def test_sign_raw_and_verify_raw() -> None:
    key = NodeKey.from_seed(bytes(32))
    sig = key.sign_raw(b"message")
    assert verify_raw(key.public, sig, b"message")
    assert not verify_raw(key.public, sig, b"messagE")
    assert not verify_raw(NodeKey.from_seed(bytes([1]) * 32).public, sig, b"message")


def test_generate_makes_distinct_keys() -> None:
    assert NodeKey.generate().did != NodeKey.generate().did


def test_save_makes_an_owner_only_file_and_loads_back(tmp_path: Path) -> None:
    key = NodeKey.generate()
    path = tmp_path / "node.key"
    key.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert NodeKey.load(path).did == key.did


def test_save_is_0600_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        NodeKey.generate().save(tmp_path / "node.key")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "node.key").stat().st_mode) == 0o600


def test_save_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    first = NodeKey.generate()
    first.save(path)
    before = path.read_bytes()
    with pytest.raises(KeyFileError) as info:
        NodeKey.generate().save(path)
    assert info.value.reason == "key-exists"
    assert path.read_bytes() == before
    assert NodeKey.load(path).did == first.did


def test_passphrase_round_trip_and_wrong_passphrase(tmp_path: Path) -> None:
    key = NodeKey.generate()
    path = tmp_path / "node.key"
    key.save(path, passphrase=b"correct horse")
    assert b"ENCRYPTED PRIVATE KEY" in path.read_bytes()
    assert NodeKey.load(path, passphrase=b"correct horse").did == key.did
    for wrong in (b"battery staple", None):
        with pytest.raises(KeyFileError) as info:
            NodeKey.load(path, passphrase=wrong)
        assert info.value.reason == "key-unreadable"


def test_load_refuses_a_file_others_can_read(tmp_path: Path) -> None:
    path = tmp_path / "node.key"
    NodeKey.generate().save(path)
    path.chmod(0o644)
    with pytest.raises(KeyFileError) as info:
        NodeKey.load(path)
    assert info.value.reason == "key-file-unsafe"
    assert f"chmod 600 {path}" in info.value.detail
    assert "0644" in info.value.detail
    path.chmod(0o640)  # group-readable is refused too
    with pytest.raises(KeyFileError) as info:
        NodeKey.load(path)
    assert info.value.reason == "key-file-unsafe"
    path.chmod(0o600)
    NodeKey.load(path)


def test_load_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError) as info:
        NodeKey.load(tmp_path / "absent.key")
    assert info.value.reason == "key-missing"


def test_load_refuses_a_non_ed25519_key(tmp_path: Path) -> None:
    path = tmp_path / "p256.key"
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    with pytest.raises(KeyFileError) as info:
        NodeKey.load(path)
    assert info.value.reason == "key-not-ed25519"


def test_load_refuses_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(b"not a key")
    with pytest.raises(KeyFileError) as info:
        NodeKey.load(path)
    assert info.value.reason == "key-unreadable"


def test_over_long_ids_are_refused_without_parsing() -> None:
    """No valid id is longer than did:key: + 64; longer strings are refused (and not cached)."""
    did = NodeKey.from_seed(bytes(32)).did
    assert is_node_id(did)
    assert not is_node_id(did + "x" * 100_000)
    assert not is_node_id("did:key:z" + "1" * 65)


def test_results_do_not_depend_on_the_cache() -> None:
    did = NodeKey.from_seed(bytes(32)).did
    for _ in range(3):  # the second and later answers come from the cache
        assert is_node_id(did)
        assert not is_node_id(did[:-1])
        with pytest.raises(IdentityError):
            public_key_from_did(did[:-1])
