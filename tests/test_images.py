"""MNIST-style preprocessing of users' images: invert, crop, scale to 20x20, centre by mass."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnistlab.data import load_image, preprocess
from mnistlab.data.images import MAX_PIXELS
from mnistlab.errors import MnistlabError


def _drawing(ink=0, paper=255, size=(200, 160)) -> Image.Image:
    """A thick 'L'-ish stroke in the top-left corner of a larger canvas: far off-centre."""
    image = Image.new("L", size, paper)
    draw = ImageDraw.Draw(image)
    draw.line([(15, 10), (25, 70)], fill=ink, width=8)
    draw.line([(25, 70), (55, 65)], fill=ink, width=8)
    return image


def _centre_of_mass(a: np.ndarray) -> tuple[float, float]:
    a = a.astype(np.float64)
    ys, xs = np.indices(a.shape)
    return (ys * a).sum() / a.sum(), (xs * a).sum() / a.sum()


def _ink_box(a: np.ndarray, threshold=64) -> tuple[int, int]:
    rows, cols = np.flatnonzero((a > threshold).any(1)), np.flatnonzero((a > threshold).any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_off_centre_dark_stroke_is_inverted_scaled_and_centred():
    out = preprocess(_drawing())
    assert out.shape == (28, 28) and out.dtype == np.uint8
    cy, cx = _centre_of_mass(out)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1
    assert out.max() == 255  # ink is bright, as in MNIST
    assert out[0].max() == 0 and out[-1].max() == 0 and out[:, 0].max() == 0  # background is black
    height, width = _ink_box(out)
    assert 18 <= max(height, width) <= 20 and height > width  # longest side fills the 20 box, aspect kept


def test_light_on_dark_gives_the_same_digit():
    dark_on_light = preprocess(_drawing(ink=0, paper=255))
    light_on_dark = preprocess(_drawing(ink=255, paper=0))
    assert np.abs(dark_on_light.astype(int) - light_on_dark.astype(int)).mean() < 2


def test_low_contrast_photo_is_stretched():
    photo = preprocess(_drawing(ink=90, paper=170))
    assert photo.max() == 255 and photo[0, 0] == 0


@pytest.mark.parametrize("value", [0, 128, 255])
def test_blank_images_give_zeros(value):
    assert not preprocess(Image.new("L", (50, 40), value)).any()
    noisy = np.random.default_rng(0).integers(value // 2, value // 2 + 8, (30, 30)).astype(np.uint8)
    assert not preprocess(noisy).any()  # faint noise is not a digit


def test_transparent_background_is_composited_on_white():
    rgba = Image.new("RGBA", (100, 100), (0, 0, 0, 0))  # transparent *black*: naive convert would be all black
    ImageDraw.Draw(rgba).ellipse([20, 20, 60, 80], outline=(0, 0, 0, 255), width=6)
    out = preprocess(rgba)
    assert out.max() == 255 and out[0, 0] == 0
    assert abs(_centre_of_mass(out)[1] - 14) <= 1


def test_array_inputs_match_the_pil_input():
    reference = preprocess(_drawing())
    gray = np.asarray(_drawing())
    assert np.array_equal(preprocess(gray), reference)
    assert np.array_equal(preprocess(np.stack([gray] * 3, axis=-1)), reference)  # HWC colour
    assert np.abs(preprocess(gray / 255.0).astype(int) - reference).max() <= 1  # floats in [0, 1]
    assert np.abs(preprocess(gray[None] / 255.0).astype(int) - reference).max() <= 1  # CHW


def test_paths_and_bytes(tmp_path):
    path = tmp_path / "digit.png"
    _drawing().save(path)
    reference = preprocess(_drawing())
    assert np.array_equal(preprocess(path), reference)
    assert np.array_equal(preprocess(str(path)), reference)
    assert np.array_equal(preprocess(path.read_bytes()), reference)


def test_jpeg_photo_of_a_digit(tmp_path):
    buffer = io.BytesIO()
    _drawing(ink=40, paper=220).convert("RGB").save(buffer, format="JPEG", quality=70)
    out = preprocess(buffer.getvalue())
    cy, cx = _centre_of_mass(out)
    assert abs(cy - 14) <= 1 and abs(cx - 14) <= 1 and out[0].max() == 0


def test_unreadable_file_names_the_file(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not an image")
    with pytest.raises(MnistlabError, match="notes.png.*not a readable image"):
        preprocess(path)
    with pytest.raises(MnistlabError, match="missing.png.*not found"):
        preprocess(tmp_path / "missing.png")
    with pytest.raises(MnistlabError, match="uploaded image"):
        load_image(b"")


def test_load_image_refuses_huge_images():
    assert MAX_PIXELS == 4096 * 4096
    buffer = io.BytesIO()
    Image.new("L", (300, 200)).save(buffer, format="PNG")
    with pytest.raises(MnistlabError, match="300x200"):
        load_image(buffer.getvalue(), max_pixels=300 * 199)
    assert load_image(buffer.getvalue()).size == (300, 200)
