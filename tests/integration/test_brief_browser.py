"""The HTML brief in a real browser: the five committed rounds through `povexit run`, the
guizhou-2020 brief written in both languages and opened in headless Chromium (driven over the
DevTools protocol, `tests/chromium.py`), offline.

The page must load with no console error and no request of any kind (the browser resolves no
host name, and the page's Content-Security-Policy would block and log any fetch: both are
watched), its DOM must hold the press release's figures, and it must draw something. A control
page that does fetch and log shows the watch works. Skipped only where Chromium is not
installed (.ci/run installs it).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline import warehouse
from pipeline.brief.html import write_html
from tests.chromium import Chromium, chromium_binary, distinct_colours, file_url, png_pixels
from tests.golden import (
    ACCEPTANCE,
    EXIT_COUNTIES_2020,
    INCOME,
    OVER_LINE,
    OVER_PROVINCE,
    PROVINCE,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        chromium_binary() is None,
        reason="chromium is not installed (apt-get install chromium fonts-noto-cjk; .ci/run does)",
    ),
]

ROUNDS = [f"guizhou-{year}" for year in range(2016, 2021)]
BATCH = "guizhou-2020"
LANGS = ("zh", "en")
# SPEC section 5 and the press release: the counties and the figures as published.
COUNTIES = EXIT_COUNTIES_2020
FIGURES = [ACCEPTANCE, INCOME, OVER_LINE, OVER_PROVINCE, PROVINCE]
AGENCIES = ["AG01", "AG02", "AG03"]
MAX_BYTES = 2 * 1024 * 1024


@pytest.fixture(scope="module")
def marts(committed_rounds) -> Path:
    """The five committed rounds run and published; the marts folder."""
    return committed_rounds


@pytest.fixture(scope="module")
def briefs(marts, tmp_path_factory) -> dict[str, Path]:
    """The guizhou-2020 brief in each language, written once every round has published (the
    run's own, written as each batch published, may predate a later round's). How long one
    takes to build is measured by `make bench`, not here: a timed test fails on a busy
    machine."""
    out = tmp_path_factory.mktemp("pages")
    written = {}
    with warehouse.connect(marts / "exit_assessment.duckdb", read_only=True) as con:
        for lang in LANGS:
            path = out / f"{BATCH}.{lang}.html"
            write_html(con, BATCH, lang, path)
            written[lang] = path
    return written


@pytest.fixture(scope="module")
def browser():
    with Chromium(chromium_binary()) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def pages(briefs, browser) -> dict:
    return {lang: browser.load(file_url(path)) for lang, path in briefs.items()}


class _Text(HTMLParser):
    """The text a reader sees: character data outside script and style, attributes left out."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def test_browser__the_watch_sees_a_page_that_fetches_and_logs(tmp_path, browser):
    """The control: what the brief must not do is seen when a page does it."""
    page = tmp_path / "fetches.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>x</title>"
        '<link rel="stylesheet" href="https://cdn.example.com/a.css"></head>'
        '<body><img src="http://example.invalid/logo.png">'
        "<script>console.error('broken')</script></body></html>",
        encoding="utf-8",
    )
    opened = browser.load(file_url(page))
    opened.close()
    load = opened.load
    assert load.loaded
    assert set(load.requests) == {
        "https://cdn.example.com/a.css",
        "http://example.invalid/logo.png",
    }
    assert any("broken" in error for error in load.errors), load.errors
    assert any("ERR_NAME_NOT_RESOLVED" in error for error in load.errors), load.errors
    # with the brief's Content-Security-Policy the same fetch is blocked, and said so
    csp = tmp_path / "blocked.html"
    csp.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"></head>"
        '<body><img src="http://example.invalid/logo.png"></body></html>',
        encoding="utf-8",
    )
    opened = browser.load(file_url(csp))
    opened.close()
    load = opened.load
    assert any("Content Security Policy" in error for error in load.errors), load.errors


@pytest.mark.parametrize("lang", LANGS)
def test_brief__loads_offline_with_no_request_and_no_console_error(pages, lang):
    load = pages[lang].load
    assert load.loaded
    assert load.requests == []
    assert load.errors == []


@pytest.mark.parametrize("lang", LANGS)
def test_brief__shows_the_press_release_figures(pages, lang):
    dom = pages[lang].html()
    text = visible_text(dom)
    for name in COUNTIES:
        assert name in text, name
    for figure in FIGURES:
        assert figure in text, figure
    for agency in AGENCIES:
        assert agency in text, agency
    # the poverty counties exited, a headline figure: 66 of 66
    assert re.search(r'<div class="value">66</div>', dom)
    # the charts are there, drawn inline
    assert dom.count("<svg") == 4


@pytest.mark.parametrize("lang", LANGS)
def test_brief__screenshot_is_not_blank(pages, lang):
    png = pages[lang].screenshot(scale=0.25)
    width, height, _ = png_pixels(png)
    assert width >= 300 and height >= 1000, (width, height)
    # text, tables and coloured charts: a blank or failed page has a handful of colours
    assert distinct_colours(png) > 200


@pytest.mark.parametrize("lang", LANGS)
def test_brief__small(briefs, lang):
    assert briefs[lang].stat().st_size < MAX_BYTES


def test_run__writes_the_brief_of_every_batch_in_both_languages(marts):
    briefs = marts / "briefs"
    assert sorted(p.name for p in briefs.iterdir()) == sorted(
        f"{batch}.{lang}.{fmt}" for batch in ROUNDS for lang in LANGS for fmt in ("html", "xlsx")
    )  # and no temporary file left behind
