"""Certificate PDF rendering throughput: renshe's `render.certificate_pdf` (A4 page, CID font text,
vector seal and QR code) against a minimal reportlab page with the same text in the same run; plus
the seal picture (Pillow) and the QR payload's PNG (segno).

    .venv/bin/python benchmarks/certs_render.py            # 3 s per measurement
    .venv/bin/python benchmarks/certs_render.py --quick    # results/certs_render_quick.json

Writes benchmarks/results/certs_render.json (or --output).
"""

from __future__ import annotations

import argparse
import io
import sys

import benchlib
from certs_sign import rate
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from renshe.certs import render, signing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--output", default=None)
    args = parser.parse_args(argv)
    seconds = args.seconds or (0.5 if args.quick else 3.0)
    output = args.output or ("certs_render_quick" if args.quick else "certs_render")

    pair = signing.new_ed25519()
    claims = ["1.2.156.3005.2.11100000000013338W003.11110000000770000X.202600000001.001.7", "vocational-skill-level",
              "职业技能等级证书", "欧*菊", "110105********0011", "北京市人力资源和社会保障局", "2026-01-01",
              "2026-01-01", "", 0, 4711, 1767225600]
    qr = signing.qr_encode(claims, kid="ed-bench", private_raw=pair.private_raw)
    content = render.PdfContent(
        title="职业技能等级证书", identifier=claims[0], number="JN202600000001", holder="欧阳秋菊",
        holder_code="110105********0011",
        rows=[("职业（工种）", "电工"), ("技能等级", "三级/高级工"), ("评价机构", "某认定中心")],
        issuer_name="北京市人力资源和社会保障局", issue_date="2026-01-01", validity="2026-01-01 至 长期",
        seal_name="北京市人力资源和社会保障局电子证照专用章", signer="演示受理员", signed_at="2026-01-01 10:00",
        qr_payload=qr, verify_url="https://renshe.example.gov.cn/certs/verify")
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))

    def minimal() -> bytes:
        out = io.BytesIO()
        canvas = Canvas(out, pageCompression=1)
        canvas.setFont("STSong-Light", 14)
        y = 800
        for text in (content.title, content.holder, content.holder_code, content.issuer_name, content.identifier):
            canvas.drawString(72, y, text)
            y -= 20
        canvas.showPage()
        canvas.save()
        return out.getvalue()

    pdf = render.certificate_pdf(content)
    r, a = rate(lambda: render.certificate_pdf(content), seconds), rate(minimal, seconds)
    seal = rate(lambda: render.seal_png("北京市人力资源和社会保障局", "11110000000770000X"), seconds)
    qr_png = rate(lambda: render.qr_png(qr), seconds)
    results = {
        "certificate_pdf": {"renshe": r, "raw": a, "anchor": "reportlab: one page, the same 5 strings, nothing else",
                            "ratio_renshe_over_raw": round(r["ops_per_second"] / a["ops_per_second"], 3),
                            "pdf_bytes": len(pdf), "qr_payload_chars": len(qr)},
        "seal_png": {"renshe": seal, "cjk_font": render._cjk_font_file()},
        "qr_png": {"renshe": qr_png},
    }
    print(f"certificate PDF  renshe {r['ops_per_second']:,.0f}/s  minimal reportlab page {a['ops_per_second']:,.0f}/s")
    print(f"seal picture {seal['ops_per_second']:,.0f}/s   QR PNG {qr_png['ops_per_second']:,.0f}/s")
    benchlib.write_result(output, {"benchmark": "certs_render", "seconds_per_measurement": seconds,
                                   "results": results, "environment": benchlib.environment()})
    print(f"wrote {benchlib.RESULTS_DIR / (output + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
