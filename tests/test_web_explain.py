"""The studio's explain parts: the API (same numbers as `mnistlab explain`) and, in a real browser,
click a feature-map cell to see its arithmetic, pick "which digit did you mean?", switch to Korean."""

from __future__ import annotations

import io
import shutil
from urllib.parse import urlsplit

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from mnistlab.web import create_app

pytest.importorskip("uvicorn", reason="pip install uvicorn (the web extra)")

from test_web_browser import stroke, studio  # noqa: F401  (the served studio fixture)


@pytest.fixture
def client(tmp_path, tiny_run):
    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs / "tiny")
    with TestClient(create_app(runs, "tiny", predict_processes=0), base_url="http://127.0.0.1") as c:
        yield c


def png() -> bytes:
    buf = io.BytesIO()
    image = np.zeros((28, 28), np.uint8)
    image[4:24, 12:16] = 255
    Image.fromarray(image).save(buf, "PNG")
    return buf.getvalue()


def test_api_explains_a_conv_cell_and_the_loss_of_an_answer(client):
    d = client.post("/api/explain/conv?run=tiny&layer=0&row=13&col=13&filter=2", content=png()).json()
    assert d["value"] == pytest.approx(d["network_value"], abs=1e-4) and d["at"] == [13, 13]
    assert "+ bias" in d["text"]
    ko = client.post("/api/explain/loss?label=3&lang=ko", content=png()).json()
    assert ko["label"] == 3 and "교차 엔트로피" in ko["text"]
    refused = client.post("/api/explain/conv?layer=1&row=0&col=0", content=png())
    assert refused.status_code == 400 and "not conv2d" in refused.json()["detail"]
    assert client.post("/api/explain/loss?label=3&lang=fr", content=png()).status_code == 422
    assert client.get("/api/i18n?lang=ko").json()["messages"]["studio.tab_draw"] == "그리기"


def test_click_a_feature_map_cell_and_pick_the_digit_you_meant(page, studio, tmp_path):  # noqa: F811
    page.goto(studio)
    page.wait_for_function("document.querySelector('#run-select').value === 'tiny'")
    stroke(page, [(150, 40), (140, 140), (130, 240)])
    page.wait_for_selector(".bar-row.best")
    # the pen's last change may still be on its way (the pad's PNG is encoded between requests, with no
    # request in flight): its answer would redraw the maps and close the explanation clicked meanwhile
    page.wait_for_function("!document.body.classList.contains('predicting')")
    page.wait_for_load_state("networkidle")

    grid = page.locator("canvas.map-grid").first
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 2, box["y"] + 2)  # filter 0, output (0, 0): its window reaches into the padding
    page.wait_for_selector("#explain-conv:not([hidden])")
    page.wait_for_function("document.querySelector('#explain-conv').textContent.includes('+ bias')")
    text = page.locator("#explain-conv").text_content()
    assert "layer 0 conv2d, filter 0, output at row 0, col 0" in text
    assert page.locator("#seen-window").is_visible()
    assert page.locator("#cell-mark").is_visible()

    page.click("#meant button[data-label='4']")
    page.wait_for_function("document.querySelector('#explain-loss').textContent.includes('cross-entropy')")
    assert "true class: 4" in page.locator("#explain-loss").text_content()
    page.screenshot(path=str(tmp_path / "explain.png"), full_page=True)

    # the switch rewrites the page, then asks for the runs table again: leaving with that request in flight
    # would count as a failed one (networkidle was reached long ago, so waiting for it returns at once)
    with page.expect_response(lambda r: urlsplit(r.url).path == "/api/runs"):  # ?lang=ko: the page's language
        page.click("#lang-switch")
    page.wait_for_function("document.querySelector('[data-tab=draw]').textContent === '그리기'")
    page.reload()  # the choice is remembered
    page.wait_for_function("document.querySelector('[data-tab=draw]').textContent === '그리기'")
    assert page.locator("#lang-switch").text_content() == "English"
    page.wait_for_load_state("networkidle")
    page.goto(f"{studio}/?lang=en")
    page.wait_for_function("document.querySelector('[data-tab=draw]').textContent === 'Draw'")
    assert page.problems == []
