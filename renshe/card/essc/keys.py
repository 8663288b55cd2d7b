"""The card's Ed25519 signing keys (e-SSC codes and sign-in results): field-encrypted at rest, the
newest active one signs, every one ever made still verifies. Keys never change once written, so a
process keeps each one it has loaded (the scan verifies without reading the key table)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from renshe.card import common, policy, rules, schemas
from renshe.card.models import SigningKey
from renshe.core import audit, crypto
from renshe.core.auth import Principal


@dataclass(frozen=True)
class KeyPair:
    kid: int
    private: Ed25519PrivateKey
    public: Ed25519PublicKey
    public_raw: bytes


_pairs: dict[int, KeyPair] = {}
_verifying: dict[int, Ed25519PublicKey] = {}


def _load(row: SigningKey) -> KeyPair:
    cached = _pairs.get(row.id)
    if cached is not None and cached.public_raw == row.public_key:
        return cached
    seed = base64.b64decode(crypto.cipher().decrypt(row.private_encrypted, purpose=common.KEY_PURPOSE))
    private = Ed25519PrivateKey.from_private_bytes(seed)
    pair = KeyPair(row.id, private, private.public_key(), row.public_key)
    if pair.public.public_bytes(Encoding.Raw, PublicFormat.Raw) != row.public_key:
        raise RuntimeError(f"card signing key {row.id} does not match its public half")
    _pairs[row.id] = pair
    _verifying[row.id] = pair.public
    return pair


def signing_key(session: Session) -> KeyPair:
    """The newest active signing key, created (field-encrypted) on first use."""
    row = session.scalar(select(SigningKey).where(SigningKey.active.is_(True)).order_by(SigningKey.id.desc()).limit(1))
    if row is None:
        private = Ed25519PrivateKey.generate()
        seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        row = SigningKey(public_key=private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
                         private_encrypted=crypto.cipher().encrypt(base64.b64encode(seed).decode(),
                                                                   purpose=common.KEY_PURPOSE))
        session.add(row)
        session.flush()
        audit.record(session, actor=common.system(), action="card.key_create", entity_type="card_key",
                     entity_id=str(row.id), after={"alg": "Ed25519"})
    return _load(row)


def verifying_key(session: Session, kid: int) -> Ed25519PublicKey | None:
    """The public key `kid` (read once per process: a key's public half never changes)."""
    cached = _verifying.get(kid)
    if cached is not None:
        return cached
    raw = session.execute(select(SigningKey.public_key).where(SigningKey.id == kid)).scalar()
    if not raw:
        return None
    key = Ed25519PublicKey.from_public_bytes(raw)
    _verifying[kid] = key
    return key


def rotate_key(session: Session, *, actor: Principal) -> int:
    """Start signing with a new key; codes and results signed with the old one still verify."""
    policy.require(actor, "card.configure")
    session.execute(update(SigningKey).values(active=False))
    session.flush()
    key = signing_key(session)
    audit.record(session, actor=actor, action="card.key_rotate", entity_type="card_key", entity_id=str(key.kid))
    return key.kid


def public_keys(session: Session) -> schemas.KeySet:
    signing_key(session)
    rows = session.scalars(select(SigningKey).order_by(SigningKey.id))
    return schemas.KeySet(keys=[schemas.PublicKeyOut(kid=str(r.id), x=rules.b64url(r.public_key)) for r in rows])
