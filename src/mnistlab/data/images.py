"""Turn a user's picture of a digit into what an MNIST model expects.

MNIST digits are white ink on black, the ink scaled to fit a 20x20 box keeping its aspect
ratio, then placed in a 28x28 field so that its centre of mass sits at the centre. A photo or a
drawing from the web page is nothing like that, and a model fed it raw guesses badly, so
`preprocess` redoes those steps: grayscale (transparency composited on white), invert when the
ink is darker than the background, crop to the ink, scale to 20x20, centre by centre of mass.

This module needs only numpy and Pillow (no torch), so the web server can use it cheaply.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mnistlab.errors import MnistlabError
from mnistlab.i18n import Message

MAX_PIXELS = 4096 * 4096  # larger uploads are refused before decoding (memory bombs)
MIN_CONTRAST = 24.0  # ink must differ from the background by this much (of 255) or it is blank
INK_THRESHOLD = 0.25  # fraction of the ink's full strength that counts for the bounding box
NOISE_FLOOR = 0.10  # below this fraction of full strength a pixel is background (paper grain)


def load_image(source: str | os.PathLike | bytes, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open an image file or bytes and decode it, refusing unreadable files and huge images."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        name, data = Message("data.uploaded_image"), bytes(source)
    else:
        name = str(source)
        try:
            data = Path(source).read_bytes()
        except FileNotFoundError:
            raise MnistlabError("data.image_not_found", name=name) from None
        except OSError as e:
            raise MnistlabError("data.unreadable", path=name, error=e.strerror or e) from None
    try:
        image = Image.open(io.BytesIO(data))  # reads only the header: the size is known before decoding
        width, height = image.size
        if width * height > max_pixels:
            raise MnistlabError("data.image_too_big", name=name, width=width, height=height, limit=max_pixels)
        image.load()
        # Phone photos store their rotation in EXIF; apply it so the digit is upright.
        return ImageOps.exif_transpose(image)
    except MnistlabError:
        raise
    except UnidentifiedImageError:  # PIL's own text names its BytesIO object: useless to a user
        raise MnistlabError("data.image_unknown_format", name=name) from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise MnistlabError("data.image_unreadable", name=name, error=" ".join(str(e).split())) from None


def _pil_to_gray(image: Image.Image) -> np.ndarray:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit and float images: convert("L") would clip, so scale to 0..255 ourselves.
        gray = np.asarray(image, dtype=np.float32)
        top = float(gray.max()) if gray.size else 0.0
        return gray * (255.0 / top) if top > 255 else gray
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        # A drawing with a transparent background is what the viewer shows: ink on white.
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    return np.asarray(image.convert("L"), dtype=np.float32)


def _array_to_gray(array: np.ndarray) -> np.ndarray:
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[0] in (1, 3, 4) and a.shape[-1] not in (1, 3, 4):
        a = np.moveaxis(a, 0, -1)  # CHW (torch layout) to HWC
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if not (a.ndim == 2 or (a.ndim == 3 and a.shape[-1] in (3, 4))):
        raise MnistlabError("data.image_array_shape", shape=a.shape)
    if a.dtype == bool:
        a = a * 255.0
    a = a.astype(np.float32)
    top = float(a.max()) if a.size else 0.0
    if np.issubdtype(np.asarray(array).dtype, np.floating) and top <= 1.0:
        a = a * 255.0  # floats in [0, 1], the usual convention
    elif top > 255:
        a = a * (255.0 / top)
    if a.ndim == 3:
        rgb = a[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # same weights as PIL "L"
        if a.shape[-1] == 4:
            alpha = a[..., 3] / 255.0
            rgb = rgb * alpha + 255.0 * (1.0 - alpha)  # composite on white, like _pil_to_gray
        a = rgb
    return np.clip(a, 0, 255)


def resize(image, channels: int, size: int) -> np.ndarray:
    """`image` (PIL image, path or bytes) as a folder: dataset's training images were made: transparency
    on white, grayscale (channels=1) or RGB (3), resized to size x size. uint8 [C, size, size]."""
    if not isinstance(image, Image.Image):
        image = load_image(image)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")  # transparent background shown as white, as a viewer would
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    image = image.convert("L" if channels == 1 else "RGB")
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.LANCZOS)
    array = np.asarray(image, dtype=np.uint8)
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)  # to C, H, W


NOT_A_DIGIT = "this does not look like a digit"
MIN_INK_SIDE = 3  # pixels: ink whose bounding box is smaller in both directions is a dot
MIN_INK_FRACTION = 0.12  # ... and so is ink spanning less than this fraction of the picture's longer side


def to_input(image, how: str = "mnist", channels: int = 1, size: int = 28) -> np.ndarray:
    """A user's image -> uint8 [C, size, size], prepared as the run's training images were
    (`how` is the run's `preprocess`: "mnist" redoes MNIST's preparation, "resize" a folder: dataset's)."""
    return to_input_checked(image, how, channels, size)[0]


def to_input_checked(image, how: str = "mnist", channels: int = 1, size: int = 28) -> tuple[np.ndarray, str | None]:
    """`to_input`, and why the picture is no digit at all (None when it may be one): blank, nearly blank, or
    ink that is only a dot. A network answers something for any input; for these its answer means nothing."""
    if how == "resize":
        if isinstance(image, np.ndarray):
            image = Image.fromarray(np.asarray(image, dtype=np.uint8))
        x = resize(image, channels, size)
        flat = x.astype(np.int16)
        blank = int(flat.max()) - int(flat.min()) < MIN_CONTRAST
        return x, f"{NOT_A_DIGIT}: the picture is blank (one colour)" if blank else None
    out, reason = _preprocess(image, size)
    return np.repeat(out[None], channels, axis=0), reason


def preprocess(image, size: int = 28) -> np.ndarray:
    """Return `image` (PIL image, numpy array, path or bytes) as an MNIST-style uint8 [size, size].

    A blank image (no ink that stands out from the background) gives all zeros.
    """
    return _preprocess(image, size)[0]


def _preprocess(image, size: int = 28) -> tuple[np.ndarray, str | None]:
    """`preprocess`, and the reason the picture is no digit (blank, or its ink a dot), else None."""
    if isinstance(image, Image.Image):
        gray = _pil_to_gray(image)
    elif isinstance(image, np.ndarray):
        gray = _array_to_gray(image)
    else:
        gray = _pil_to_gray(load_image(image))
    blank = np.zeros((size, size), dtype=np.uint8)
    no_ink = f"{NOT_A_DIGIT}: no ink stands out from the background"
    if gray.size == 0:
        return blank, no_ink

    # The border is mostly background. Ink is whichever extreme lies further from it: dark ink on
    # light paper gets inverted so that, as in MNIST, ink is bright and background is black.
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    if background - float(gray.min()) > float(gray.max()) - background:
        gray, background = 255.0 - gray, 255.0 - background
    ink = np.clip(gray - background, 0, None)
    strength = float(ink.max())
    if strength < MIN_CONTRAST:
        return blank, no_ink
    ink *= 255.0 / strength  # full contrast, whatever the lighting
    ink[ink < NOISE_FLOOR * 255.0] = 0.0

    rows = np.flatnonzero((ink > INK_THRESHOLD * 255.0).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD * 255.0).any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    extent = max(crop.shape)  # a dot, or a speck of noise, scaled to 20x20 would look like a bold "0"
    reason = None
    if extent < MIN_INK_SIDE or extent < MIN_INK_FRACTION * max(gray.shape):
        reason = f"{NOT_A_DIGIT}: its ink is only a dot ({crop.shape[1]}x{crop.shape[0]} of {gray.shape[1]}x{gray.shape[0]} pixels)"

    # Fit the longer side to the box (20 of 28 in MNIST), keeping the aspect ratio.
    box = round(size * 20 / 28)
    h, w = crop.shape
    scale = box / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    glyph = np.asarray(Image.fromarray(np.ascontiguousarray(crop, dtype=np.float32)).resize((nw, nh), Image.Resampling.LANCZOS), dtype=np.float32)
    glyph = np.clip(glyph, 0, 255)  # Lanczos overshoots a little at edges
    total = float(glyph.sum())
    if total <= 0:
        return blank, no_ink

    # Put the centre of mass at the centre (14, 14 in MNIST), but never push ink off the canvas.
    cy = float((glyph.sum(axis=1) * np.arange(nh)).sum()) / total
    cx = float((glyph.sum(axis=0) * np.arange(nw)).sum()) / total
    top = min(max(round(size / 2 - cy), 0), size - nh)
    left = min(max(round(size / 2 - cx), 0), size - nw)
    out = np.zeros((size, size), dtype=np.float32)
    out[top : top + nh, left : left + nw] = glyph
    return np.rint(out).astype(np.uint8), reason
