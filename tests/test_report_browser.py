"""The report and comparison pages in a real (headless) Chromium: every picture decodes, nothing is
requested that is not there, no console error."""

from __future__ import annotations

from mnistlab.report import compare_runs, write_comparison, write_report

IMAGES_LOADED = """() => Array.from(document.images).map(img => ({
    alt: img.alt, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight}))"""


def _check(page, path, count: int) -> None:
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    images = page.evaluate(IMAGES_LOADED)
    assert len(images) == count
    broken = [img["alt"] for img in images if not (img["complete"] and img["width"] > 0 and img["height"] > 0)]
    assert not broken, f"images that did not load: {broken}"
    assert page.problems == []


def test_report_page_loads_every_picture(page, tiny_run, tiny_dataset, tmp_path):
    path = write_report(tiny_run, tmp_path / "report", dataset=tiny_dataset, samples=3)
    _check(page, path, len(list(path.parent.glob("*.png"))))
    assert page.title() == "mnistlab report: tiny"
    # the table of contents points at sections that exist
    anchors = page.evaluate("() => Array.from(document.querySelectorAll('nav a')).map(a => a.hash.slice(1))")
    assert anchors and all(page.locator(f"section#{a}").count() == 1 for a in anchors)


def test_compare_page_loads(page, tiny_run, tmp_path):
    data = compare_runs([tiny_run, tiny_run])  # the same run twice: nothing differs, still a valid page
    path = write_comparison(data, tmp_path / "cmp")
    _check(page, path, 1)
    assert "none: the configs are identical" in page.content()
