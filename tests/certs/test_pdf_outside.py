"""Certificate PDFs readable everywhere, checked with poppler's tools (outside implementations): the
Chinese font is embedded as a subset (`pdffonts`), the holder's name and the title come out of
`pdftotext`, and the PDF carries a signature a PDF reader checks (`pdfsig`: valid, whole document)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.certs.models import Certificate
from renshe.core.auth import Principal
from renshe.core.settings import get_settings
from renshe.registry.models import Person
from tests import factories
from tests.certs.conftest import citizen

TOOLS = [shutil.which(name) for name in ("pdftotext", "pdffonts", "pdfsig")]
# scripts/ensure-pdf-tools installs poppler-utils (make test, .ci/run); skipped only on a bare machine
pytestmark = pytest.mark.skipif(None in TOOLS, reason="poppler-utils is needed: scripts/ensure-pdf-tools")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def _download(client: TestClient, session: Session, cert: Certificate, clerk: Principal, folder: Path) -> Path:
    session.commit()
    response = client.get(f"/api/v1/certs/{cert.identifier}/pdf", headers=factories.bearer(clerk))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    path = folder / "cert.pdf"
    path.write_bytes(response.content)
    return path


def test_pdf_text_is_extractable_and_the_font_embedded(client: TestClient, session: Session, cert: Certificate,
                                                       clerk: Principal, holder: Person, tmp_path: Path) -> None:
    pdf = _download(client, session, cert, clerk, tmp_path)
    text = _run("pdftotext", "-enc", "UTF-8", pdf.name, "-", cwd=tmp_path).stdout
    assert holder.name in text  # 欧阳秋菊
    assert cert.name in text  # 职业技能等级证书
    assert "发证机关" in text
    assert cert.issuer_name in text
    fonts = _run("pdffonts", pdf.name, cwd=tmp_path).stdout.splitlines()[2:]
    assert fonts, "no font in the PDF"
    for line in fonts:
        columns = line.split()
        # name type encoding emb sub uni object ID: every font embedded, as a subset, with a ToUnicode map
        assert columns[-5:-2] == ["yes", "yes", "yes"], line
        assert "STSong" not in line


def test_pdf_is_signed_as_a_pdf_and_pdfsig_checks_it(client: TestClient, session: Session, cert: Certificate,
                                                     clerk: Principal, tmp_path: Path) -> None:
    pdf = _download(client, session, cert, clerk, tmp_path)
    report = _run("pdfsig", pdf.name, cwd=tmp_path).stdout
    assert "Signature #1" in report, report
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Total document signed" in report
    assert cert.issuer_name in report  # the signer's certificate names the issuing authority
    assert "adbe.pkcs7.detached" in report
    # one byte changed inside the signed range: pdfsig no longer accepts it
    data = bytearray(pdf.read_bytes())
    at = data.index(b"/Title")
    data[at + 8] ^= 0x01
    (tmp_path / "tampered.pdf").write_bytes(bytes(data))
    tampered = _run("pdfsig", "tampered.pdf", cwd=tmp_path).stdout
    assert "Signature is Valid." not in tampered, tampered


def test_citizen_download_is_signed_too(client: TestClient, session: Session, cert: Certificate, holder: Person,
                                        tmp_path: Path) -> None:
    session.commit()
    response = client.get(f"/citizen/certs/{cert.public_id}/pdf", headers=factories.bearer(citizen(holder)))
    assert response.status_code == 200, response.text
    (tmp_path / "mine.pdf").write_bytes(response.content)
    assert "Signature is Valid." in _run("pdfsig", "mine.pdf", cwd=tmp_path).stdout


def test_without_an_embeddable_font_the_download_says_so(client: TestClient, session: Session, cert: Certificate,
                                                         clerk: Principal, monkeypatch: pytest.MonkeyPatch) -> None:
    """No PDF that shows blanks: a node without a TrueType CJK font answers 503 naming the fix."""
    session.commit()
    monkeypatch.setenv("RENSHE_PDF_FONT", "/nonexistent/font.ttc")
    get_settings.cache_clear()
    try:
        response = client.get(f"/api/v1/certs/{cert.identifier}/pdf", headers=factories.bearer(clerk))
    finally:
        monkeypatch.delenv("RENSHE_PDF_FONT")
        get_settings.cache_clear()
    assert response.status_code == 503
    assert response.json()["type"] == "renshe:certs/pdf-font"
    assert "fonts-wqy-zenhei" in response.json()["detail"]
