"""Signing and verification throughput of certificates: renshe's functions against the raw library
calls, in the same run.

    .venv/bin/python benchmarks/certs_sign.py            # 3 s per measurement
    .venv/bin/python benchmarks/certs_sign.py --quick    # 0.5 s per measurement, results/certs_sign_quick.json

Measured, each as operations per second in one thread:
- Ed25519 compact JWS of a real certificate payload: `signing.jws_sign` and `verifier.verify_jws` (parse,
  key lookup in a JWKS, verify) against `Ed25519PrivateKey.sign` / `Ed25519PublicKey.verify` on the same bytes;
- QR payload: `signing.qr_encode` and `verifier.verify_offline` (with two cached status lists) against the raw
  Ed25519 sign/verify of the same body;
- SM2 with SM3 electronic seal: `signing.sign_with_seal` (SES_Signature over the canonical TBS, seal inlined)
  and `signing.verify_seal_signature` (data hash, the seal's own signature, the signature) against gmssl's
  `CryptSM2.sign_with_sm3` / `verify_with_sm3` of the same canonical bytes.
No database: key material and documents are made in memory, so the figures are the cryptography and
renshe's encoding around it. Writes benchmarks/results/certs_sign.json (or --output).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections.abc import Callable
from typing import Any

import benchlib
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gmssl import sm2

from renshe.certs import render, signing, statuslist, verifier


def rate(fn: Callable[[], object], seconds: float) -> dict[str, float]:
    """Call fn repeatedly for about `seconds`; operations per second and microseconds per operation."""
    fn()  # warm-up
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        fn()
        count += 1
        if count % 8 == 0 and time.perf_counter() >= deadline:
            break
    elapsed = time.perf_counter() - started
    return {"ops_per_second": round(count / elapsed, 1), "us_per_op": round(elapsed / count * 1e6, 1),
            "operations": count}


def _payload() -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential", "ElectronicCertificate"],
        "issuer": {"id": "urn:uscc:11110000000770000X", "name": "北京市人力资源和社会保障局"},
        "validFrom": "2026-01-01T00:00:00+08:00",
        "credentialSubject": {"certificateType": "vocational-skill-level", "holderMasked": "欧*菊",
                              "fields": {"occupation": "电工", "level": "三级/高级工", "evaluator": "某认定中心"}},
        "credentialStatus": [{"type": "BitstringStatusListEntry", "statusPurpose": p, "statusListIndex": "4711",
                              "statusListCredential": f"https://renshe.example.gov.cn/certs/status/{p}/0"}
                             for p in statuslist.PURPOSES],
        "metadata": {"identifier": "1.2.156.3005.2.11100000000013338W003.11110000000770000X.202600000001.001.7",
                     "name": "职业技能等级证书", "holder": "欧阳秋菊", "holderCode": "110105********0011"},
        "iat": 1767225600,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    seconds = args.seconds or (0.5 if args.quick else 3.0)
    output = args.output or ("certs_sign_quick" if args.quick else "certs_sign")

    ed = signing.new_ed25519()
    kid = signing.kid_for(signing.ED_ALG, ed.public_raw)
    jwks = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": signing.b64url(ed.public_raw), "kid": kid, "alg": "EdDSA",
                      "status": "active", "nbf": 0, "exp": 4102444800}]}
    raw_private = Ed25519PrivateKey.from_private_bytes(ed.private_raw)
    raw_public = raw_private.public_key()
    payload = _payload()
    token = signing.jws_sign(payload, private_raw=ed.private_raw, kid=kid)
    signing_input, raw_sig = token.rsplit(".", 1)[0].encode(), signing.unb64url(token.rsplit(".", 1)[1])

    # Status lists as an offline verifier caches them: signed by the same key.
    lists = [signing.jws_sign({"id": f"https://renshe.example.gov.cn/certs/status/{p}/0",
                               "credentialSubject": {"statusPurpose": p,
                                                     "encodedList": statuslist.encode(statuslist.empty())}},
                              private_raw=ed.private_raw, kid=kid) for p in statuslist.PURPOSES]
    claims = [payload["metadata"]["identifier"], "vocational-skill-level", "职业技能等级证书", "欧*菊",
              "110105********0011", "北京市人力资源和社会保障局", "2026-01-01", "2026-01-01", "", 0, 4711, 1767225600]
    qr = signing.qr_encode(claims, kid=kid, private_raw=ed.private_raw)
    qr_parts = signing.qr_parts(qr)

    sm = signing.new_sm2()
    seal = signing.make_seal(es_id="S1", seal_name="北京市人力资源和社会保障局电子证照专用章",
                             picture_png=render.seal_png("北京市人力资源和社会保障局", "11110000000770000X"),
                             picture_mm=42, kid="sm2-bench", keys=sm, valid_start="20260101000000",
                             valid_end="20310101000000", created="20260101000000")
    document = signing.canonical(payload)
    sealed = signing.sign_with_seal(seal=seal, data=document, identifier=claims[0], time_info="20260101000000",
                                    kid="sm2-bench", keys=sm)
    tbs = signing.canonical(sealed["toSign"])
    gm = sm2.CryptSM2(private_key=sm.private_hex, public_key="")
    gm.public_key = sm.public_hex
    gm_sig = signing.sm2_sign(tbs, private_hex=sm.private_hex, public_hex=sm.public_hex)

    assert verifier.verify_offline(qr, jwks=jwks, status_lists=lists).result == "valid"
    assert signing.verify_seal_signature(sealed, document, sm.public_hex) is None

    results: dict[str, dict[str, Any]] = {}

    def pair(name: str, renshe_fn: Callable[[], object], raw_fn: Callable[[], object], what: str) -> None:
        r, a = rate(renshe_fn, seconds), rate(raw_fn, seconds)
        results[name] = {"renshe": r, "raw": a, "anchor": what,
                         "ratio_renshe_over_raw": round(r["ops_per_second"] / a["ops_per_second"], 3)}
        print(f"{name:28s} renshe {r['ops_per_second']:>10,.0f}/s  raw {a['ops_per_second']:>10,.0f}/s  "
              f"ratio {results[name]['ratio_renshe_over_raw']:.3f}", flush=True)

    pair("jws_sign_ed25519", lambda: signing.jws_sign(payload, private_raw=ed.private_raw, kid=kid),
         lambda: raw_private.sign(signing_input), "cryptography Ed25519PrivateKey.sign of the same signing input")
    pair("jws_verify_ed25519", lambda: verifier.verify_jws(token, jwks),
         lambda: raw_public.verify(raw_sig, signing_input), "cryptography Ed25519PublicKey.verify")
    pair("qr_sign_ed25519", lambda: signing.qr_encode(claims, kid=kid, private_raw=ed.private_raw),
         lambda: raw_private.sign(qr_parts.body), "cryptography Ed25519PrivateKey.sign of the QR body")
    pair("qr_verify_offline", lambda: verifier.verify_offline(qr, jwks=jwks, status_lists=lists),
         lambda: raw_public.verify(qr_parts.signature, qr_parts.body),
         "cryptography Ed25519PublicKey.verify of the QR body (renshe also verifies and unzips 2 status lists)")
    digest = signing.sm2_digest(tbs, sm.public_hex)
    pair("seal_sign_sm2_sm3", lambda: signing.sign_with_seal(seal=seal, data=document, identifier=claims[0],
                                                             time_info="20260101000000", kid="sm2-bench", keys=sm),
         lambda: gm.sign(digest, f"{secrets.randbelow(2**255) + 1:064x}"),
         "gmssl CryptSM2.sign of the same SM3(Z||TBS) digest (the curve arithmetic alone)")
    pair("seal_verify_sm2_sm3", lambda: signing.verify_seal_signature(sealed, document, sm.public_hex),
         lambda: gm.verify(gm_sig, digest),
         "gmssl CryptSM2.verify of the same digest (renshe verifies two SM2 signatures: the seal's and the document's)")
    # gmssl's own sign_with_sm3/verify_with_sm3 hash in pure Python: the TBS holds the seal picture.
    results["gmssl_sign_with_sm3_same_tbs"] = {"raw": rate(
        lambda: gm.sign_with_sm3(tbs, f"{secrets.randbelow(2**255) + 1:064x}"), seconds), "tbs_bytes": len(tbs)}
    results["gmssl_verify_with_sm3_same_tbs"] = {"raw": rate(lambda: gm.verify_with_sm3(gm_sig, tbs), seconds)}
    print(f"gmssl sign_with_sm3 over the {len(tbs):,}-byte TBS: "
          f"{results['gmssl_sign_with_sm3_same_tbs']['raw']['ops_per_second']:,.1f}/s", flush=True)

    benchlib.write_result(output, {"benchmark": "certs_sign", "seconds_per_measurement": seconds,
                                   "results": results, "environment": benchlib.environment()})
    print(f"wrote {benchlib.RESULTS_DIR / (output + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
