"""HTML to PDF with WeasyPrint: one font set-up per process, packaged files only.

Arabic is typeset with the complete Amiri TTF files of the pinned fontpkg-amiri package
(SIL Open Font License 1.1, text in assets/AMIRI-OFL.txt); split @fontsource
subsets print Arabic as Latin garbage, so they are never used. Every family in the document
stylesheet is Amiri: the documents depend on no system font.

Building a FontConfiguration and the @font-face stylesheet costs about 0.5 s; both are built
once per process (`pipeline()`) and reused by every render.

The renderer reads nothing but the files below: `PackageFetcher` serves `tadafur-asset:`
URLs from this package (fonts, stylesheet, images) and image `data:` URIs (the QR codes),
and refuses file:, http(s): and every other scheme, so no value a user typed can make the
renderer read the server's files or the network.
"""

from __future__ import annotations

import base64
import logging
import threading
import urllib.parse
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import fontpkg_amiri
import segno
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

SCHEME = "tadafur-asset"
BASE_URL = f"{SCHEME}:/"
ASSETS = Path(__file__).resolve().parent / "assets"
FONT_FILES = {
    "fonts/Amiri-Regular.ttf": fontpkg_amiri.ROOT / "files" / "Amiri-Regular.ttf",
    "fonts/Amiri-Bold.ttf": fontpkg_amiri.ROOT / "files" / "Amiri-Bold.ttf",
}
CONTENT_TYPES = {".css": "text/css", ".ttf": "font/ttf", ".svg": "image/svg+xml",
                 ".png": "image/png"}
DATA_IMAGE_TYPES = ("image/svg+xml", "image/png")

FONT_FACES = f"""
@font-face {{ font-family: "Amiri"; font-weight: 400; font-style: normal;
  src: url("{SCHEME}:fonts/Amiri-Regular.ttf") format("truetype"); }}
@font-face {{ font-family: "Amiri"; font-weight: 700; font-style: normal;
  src: url("{SCHEME}:fonts/Amiri-Bold.ttf") format("truetype"); }}
"""


class RenderError(Exception):
    """The document could not be rendered; nothing was stored or registered."""


class RefusedURL(ValueError):
    pass


class PackageFetcher(URLFetcher):
    """Serves the package's own files and image data URIs; refuses everything else."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=(SCHEME, "data"), allow_redirects=False)
        self.refused: list[str] = []
        self._lock = threading.Lock()

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        scheme, _, rest = url.partition(":")
        scheme = scheme.lower()
        if scheme == SCHEME:
            return self._package_file(url, rest)
        if scheme == "data":
            return self._data_image(url, rest)
        return self._refuse(url)

    def _refuse(self, url: str):
        with self._lock:
            self.refused.append(url)
            del self.refused[:-100]  # keep the last hundred, for tests and diagnosis
        logger.warning("document renderer refused to fetch %s", url[:200])
        raise RefusedURL(f"refused: {url[:200]}")

    def _package_file(self, url: str, rest: str) -> URLFetcherResponse:
        name = urllib.parse.unquote(rest.split("?")[0].split("#")[0]).lstrip("/")
        path = FONT_FILES.get(name)
        if path is None:
            candidate = (ASSETS / name).resolve()
            if ASSETS in candidate.parents and candidate.is_file():
                path = candidate
        if path is None or path.suffix not in CONTENT_TYPES:
            return self._refuse(url)
        return URLFetcherResponse(url, path.read_bytes(),
                                  {"Content-Type": CONTENT_TYPES[path.suffix]})

    def _data_image(self, url: str, rest: str) -> URLFetcherResponse:
        header, _, payload = rest.partition(",")
        media_type = header.split(";")[0].strip().lower()
        if media_type not in DATA_IMAGE_TYPES:
            return self._refuse(url)
        if header.endswith(";base64"):
            body = base64.b64decode(payload)
        else:
            body = urllib.parse.unquote_to_bytes(payload)
        return URLFetcherResponse(url, body, {"Content-Type": media_type})


_render_lock = threading.Lock()


@dataclass
class Pipeline:
    """What is built once per process and shared by every render."""

    font_config: FontConfiguration
    fetcher: PackageFetcher
    stylesheets: list[CSS]

    def render(self, html: str) -> bytes:
        """One render at a time per process: the shared font configuration (Pango and
        fontconfig objects) is not documented as thread-safe."""
        try:
            document = HTML(string=html, base_url=BASE_URL, url_fetcher=self.fetcher)
            with _render_lock:
                return document.write_pdf(stylesheets=self.stylesheets,
                                          font_config=self.font_config)
        except Exception as error:  # WeasyPrint raises many kinds; the caller needs one
            logger.exception("document rendering failed")
            raise RenderError(str(error)) from error


_pipeline: Pipeline | None = None
_pipeline_lock = threading.Lock()


def build_pipeline() -> Pipeline:
    font_config = FontConfiguration()
    fetcher = PackageFetcher()
    fonts = CSS(string=FONT_FACES, base_url=BASE_URL, url_fetcher=fetcher,
                font_config=font_config)
    document_css = CSS(url=f"{SCHEME}:css/document.css", url_fetcher=fetcher,
                       font_config=font_config)
    return Pipeline(font_config, fetcher, [fonts, document_css])


def pipeline() -> Pipeline:
    global _pipeline
    if _pipeline is None:
        with _pipeline_lock:
            if _pipeline is None:
                _pipeline = build_pipeline()
    return _pipeline


def render_pdf(html: str) -> bytes:
    return pipeline().render(html)


def qr_data_uri(url: str) -> str:
    """A QR code (segno) pointing at `url`, as a PNG data URI for an <img>.

    One pixel per module, scaled by the stylesheet without smoothing (`image-rendering:
    pixelated`): a PNG is one image object the PDF draws on every page, where an SVG's
    modules were laid out and drawn again for each page's footer.
    """
    qr = segno.make(url, error="m", micro=False)
    return qr.png_data_uri(scale=1, border=1, dark="#000")


def pdf_page_count(data: bytes) -> int:
    # pyHanko takes about a second to import; only this page count needs it here.
    from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: PLC0415

    return int(PdfFileReader(BytesIO(data)).root["/Pages"]["/Count"])
