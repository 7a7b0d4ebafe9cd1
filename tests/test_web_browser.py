"""The web studio in a real browser (headless Chromium): draw a digit with the mouse and see the answer,
train a tiny run from the form with live curves, and no console errors along the way."""

from __future__ import annotations

import shutil

import httpx
import pytest
from PIL import Image, ImageDraw

pytest.importorskip("uvicorn", reason="pip install uvicorn (the web extra)")

from mnistlab.web import create_app
from mnistlab.web.server import serving


@pytest.fixture
def studio(tmp_path, tiny_run, tiny_idx_dir):
    """The app on a free 127.0.0.1 port, served by uvicorn in a background thread; yields its URL."""
    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs / "tiny")
    with serving(create_app(runs, "tiny", data_dirs=[tiny_idx_dir])) as url:  # the page may read the tiny data
        yield url


def stroke(page, points):
    """Drag the mouse through `points`, given in the pad's own 280x280 coordinates."""
    box = page.locator("#pad").bounding_box()
    at = lambda x, y: (box["x"] + x * box["width"] / 280, box["y"] + y * box["height"] / 280)
    page.mouse.move(*at(*points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(*point), steps=6)
    page.mouse.up()


def test_draw_a_one_and_see_the_answer(page, studio, tmp_path):
    page.goto(studio)
    page.wait_for_function("document.querySelector('#run-select').value === 'tiny'")
    assert page.locator(".bar-row").count() == 10 and page.locator(".bar-row.best").count() == 0

    sent = []
    page.on("request", lambda r: "/api/predict" in r.url and sent.append(r.post_data_buffer))
    stroke(page, [(150, 40), (140, 140), (130, 240)])
    page.wait_for_selector(".bar-row.best")
    page.wait_for_load_state("networkidle")  # predictions sent mid-stroke are superseded by the last one
    best = page.locator(".bar-row.best").get_attribute("data-class")
    assert page.locator("#answer").text_content() == best
    # The page shows what the server answers for exactly the last drawing it sent.
    assert len(sent) >= 2 and sent[-1].startswith(b"\x89PNG")  # updates while drawing, and at the end
    answer = httpx.post(f"{studio}/api/predict?run=tiny", content=sent[-1]).json()
    assert answer["top"][0]["class"] == best
    assert page.locator(".bar-row.best .bar-value").text_content() == f"{100 * answer['top'][0]['probability']:.1f}%"
    assert page.locator("#head-badge").text_content() == "softmax"
    assert page.locator("canvas.map-grid").count() == 1  # one conv layer, its 8 maps
    seen = page.evaluate("""(() => { const c = document.querySelector('#seen');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return [c.width, c.height, d.some((v, i) => i % 4 === 0 && v > 128)]; })()""")
    assert seen == [28, 28, True]  # the 28x28 input, with ink in it
    page.screenshot(path=str(tmp_path / "draw.png"), full_page=True)

    page.click("#undo")
    page.wait_for_function("document.querySelector('#answer').textContent === '?'")
    assert page.locator(".bar-row.best").count() == 0

    # An uploaded picture (dark ink on white paper, as photographed) goes the same way, as a form upload.
    image = Image.new("L", (300, 400), 235)
    ImageDraw.Draw(image).line([(150, 60), (150, 340)], fill=20, width=24)
    image.save(tmp_path / "photo.png")
    page.set_input_files("#upload", str(tmp_path / "photo.png"))
    page.wait_for_selector(".bar-row.best")
    assert page.locator("#pad-note").text_content() == "uploaded: photo.png"
    answer = httpx.post(f"{studio}/api/predict?run=tiny", content=(tmp_path / "photo.png").read_bytes()).json()
    assert page.locator("#answer").text_content() == answer["top"][0]["class"]
    page.click("#clear")
    page.wait_for_function("document.querySelector('#answer').textContent === '?'")
    assert page.problems == []


def test_train_from_the_form_with_live_curves(page, studio, tiny_idx_dir, tmp_path):
    page.goto(f"{studio}/#train")
    page.wait_for_selector("#summary table")
    form = page.locator("#train-form")
    form.locator("[name=name]").fill("from-browser")
    form.locator("[name=dataset]").fill(f"idx:{tiny_idx_dir}")
    form.locator("[name=epochs]").fill("1")
    form.locator("[name=batch_size]").fill("32")
    form.locator("[name=log_every]").fill("1")
    form.locator("[name=validation_size]").fill("100")
    form.locator("[name=train_limit]").fill("300")
    page.wait_for_timeout(400)  # the summary follows the edits
    assert page.locator("#train-error").is_hidden()
    blank = page.evaluate("document.querySelector('#loss-chart').toDataURL()")

    page.click("#start")
    page.wait_for_function("document.querySelector('#train-status').textContent === 'completed'", timeout=60_000)
    assert page.evaluate("document.querySelector('#loss-chart').toDataURL()") != blank  # the curve was drawn
    assert "epoch 1/1" in page.locator("#train-line").text_content()
    assert "test accuracy" in page.locator("#train-result").text_content()
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    page.screenshot(path=str(tmp_path / "train.png"), full_page=True)

    page.click("text=Runs")
    row = page.locator("#runs-table tr[data-run='from-browser']")
    row.wait_for()
    assert "completed" in row.text_content() and "[:300]" in row.text_content()
    row.click()
    page.wait_for_selector("#run-detail:not([hidden]) #detail-summary table")
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    page.screenshot(path=str(tmp_path / "runs.png"), full_page=True)

    row.locator("text=Draw").click()
    page.wait_for_function("document.querySelector('#run-select').value === 'from-browser'")
    stroke(page, [(120, 60), (200, 60), (130, 240)])  # a 7, asked of the new run
    page.wait_for_selector(".bar-row.best")
    assert page.problems == []


def test_an_impossible_stack_is_explained_before_training(page, studio):
    page.goto(f"{studio}/#train")
    page.wait_for_selector("#summary table")
    first = page.locator("#layers li").first
    first.locator("[name=layer-padding]").select_option("valid")
    first.locator("[name=layer-kernel_size]").fill("40")
    page.wait_for_selector("#train-error:not([hidden])")
    assert "too small for a 40x40 window" in page.locator("#train-error").text_content()
    assert page.locator("#start").is_disabled()
    first.locator("[name=layer-kernel_size]").fill("5")
    page.wait_for_selector("#train-error", state="hidden")
    assert page.locator("#start").is_enabled()
    # The only errors are the browser's own notes on the 400s the refused recipe got.
    assert page.problems and all("status of 400" in p for p in page.problems)


def test_a_refused_upload_leaves_no_stale_answer(page, studio, tmp_path):
    page.goto(studio)
    page.wait_for_function("document.querySelector('#run-select').value === 'tiny'")
    stroke(page, [(150, 40), (140, 140), (130, 240)])
    page.wait_for_selector(".bar-row.best")
    (tmp_path / "notes.png").write_text("not a picture")
    page.set_input_files("#upload", str(tmp_path / "notes.png"))
    page.wait_for_selector("#answer-note.error-text")
    assert "not a readable image" in page.locator("#answer-note").text_content()
    assert page.locator(".bar-row.best").count() == 0  # the previous drawing's bars and maps are gone
    assert page.locator("canvas.map-grid").count() == 0
    assert all("status of 400" in p for p in page.problems)


def test_a_failed_job_is_shown_as_failed(page, studio, tiny_idx_dir):
    page.goto(f"{studio}/#train")
    page.wait_for_selector("#summary table")
    form = page.locator("#train-form")
    form.locator("[name=name]").fill("too-few")
    form.locator("[name=dataset]").fill(f"idx:{tiny_idx_dir}")
    form.locator("[name=validation_size]").fill("1200")  # all 1200 images held out: fit refuses it, in the job
    form.locator("[name=train_limit]").fill("")
    page.wait_for_timeout(400)
    page.click("#start")
    page.wait_for_function("document.querySelector('#train-status').textContent === 'failed'", timeout=60_000)
    assert "failed" in page.locator("#train-line").text_content()
    assert "loading the data" not in page.locator("#train-line").text_content()
    assert page.locator("#train-result .error-text").text_content()
