"""Reading drawings: paths, bytes or arrays in, BGR uint8 (H, W, 3) out, with clear errors.

Files are decoded by content, not by extension (many '.png' drawings are JPEG data). EXIF
orientation is applied (JPEG, PNG, TIFF): a scan stored sideways with an orientation tag is
read upright, as viewers show it. Multi-page files and PDF are read by :mod:`~schemseg_sdk.documents`.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from .errors import InvalidInputError

__all__ = ["ImageSource", "read_image", "decode_image", "to_bgr_uint8", "read_mask", "orient", "png_orientation"]

ImageSource = str | os.PathLike | bytes | bytearray | memoryview | np.ndarray

MAX_PIXELS = 400_000_000  # refuse absurd sizes before allocating
_PDF_SIGNATURE = b"%PDF-"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_image(source: ImageSource, name: str | None = None) -> np.ndarray:
    """Return the drawing in ``source`` as contiguous BGR uint8 ``(H, W, 3)``.

    Args:
        source: a file path, the encoded bytes of an image file, or an array.
        name: how to call the input in error messages (defaults to the path or "<bytes>").

    >>> read_image(np.zeros((4, 5), np.uint8)).shape
    (4, 5, 3)
    """
    if isinstance(source, np.ndarray):
        return to_bgr_uint8(source, name or "<array>")
    if isinstance(source, (bytes, bytearray, memoryview)):
        return decode_image(bytes(source), name or "<bytes>")
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        label = name or str(path)
        if path.is_dir():
            raise InvalidInputError(f"{label}: is a directory, expected an image file")
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise InvalidInputError(f"{label}: no such file") from None
        except OSError as exc:
            raise InvalidInputError(f"{label}: cannot read file ({exc.strerror or exc})") from None
        return decode_image(data, label)
    raise InvalidInputError(f"{name or '<input>'}: expected a path, bytes or numpy array, got {type(source).__name__}")


def decode_image(data: bytes, name: str = "<bytes>", flags: int | None = None) -> np.ndarray:
    """Decode encoded image bytes (PNG, JPEG, TIFF, BMP...) to BGR uint8, upright (EXIF orientation applied).

    ``flags``: OpenCV ``IMREAD_*`` flags; ``None`` keeps depth and alpha and applies the orientation.
    """
    if not data:
        raise InvalidInputError(f"{name}: empty file (0 bytes)")
    if data[: len(_PDF_SIGNATURE)] == _PDF_SIGNATURE:
        raise InvalidInputError(
            f"{name}: a PDF document, not an image; use Segmenter.predict_document() or 'schemseg segment'"
        )
    orientation = 1
    if flags is None:
        # IMREAD_UNCHANGED keeps alpha and 16 bits but ignores EXIF orientation (OpenCV applies it
        # for TIFF only): JPEG has no alpha, so ANYCOLOR|ANYDEPTH, which applies it, loses nothing;
        # for PNG the eXIf chunk is read here
        jpeg = data[:3] == b"\xff\xd8\xff"
        flags = cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH if jpeg else cv2.IMREAD_UNCHANGED
        orientation = png_orientation(data) if data[:8] == _PNG_SIGNATURE else 1
    buffer = np.frombuffer(data, dtype=np.uint8)
    try:
        image = cv2.imdecode(buffer, flags)
    except cv2.error as exc:
        raise InvalidInputError(f"{name}: not a readable image ({_first_line(exc)})") from None
    if image is None:
        raise InvalidInputError(f"{name}: not an image or truncated ({len(data)} bytes could not be decoded)")
    return to_bgr_uint8(orient(image, orientation), name)


def png_orientation(data: bytes) -> int:
    """The EXIF orientation (1..8) in a PNG's ``eXIf`` chunk; 1 (upright) when there is none.

    >>> png_orientation(b"\\x89PNG\\r\\n\\x1a\\n")
    1
    """
    position = 8
    while position + 8 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = data[position + 4 : position + 8]
        if kind in (b"IDAT", b"IEND"):  # eXIf must come before the image data
            return 1
        if kind == b"eXIf":
            return _tiff_orientation(data[position + 8 : position + 8 + length])
        position += 12 + length
    return 1


def orient(image: np.ndarray, orientation: int) -> np.ndarray:
    """Turn ``image`` upright for an EXIF orientation value (1 = already upright)."""
    if orientation == 2:
        return cv2.flip(image, 1)
    if orientation == 3:
        return cv2.rotate(image, cv2.ROTATE_180)
    if orientation == 4:
        return cv2.flip(image, 0)
    if orientation == 5:
        return cv2.transpose(image)
    if orientation == 6:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    if orientation == 7:
        return cv2.rotate(cv2.transpose(image), cv2.ROTATE_180)
    if orientation == 8:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    return image


def _tiff_orientation(exif: bytes) -> int:
    """Tag 0x0112 of IFD0 in a TIFF-structured EXIF block; 1 when absent or unreadable."""
    order = {b"II": "little", b"MM": "big"}.get(exif[:2])
    if order is None or len(exif) < 8:
        return 1
    ifd = int.from_bytes(exif[4:8], order)  # type: ignore[arg-type]
    if ifd + 2 > len(exif):
        return 1
    for entry in range(int.from_bytes(exif[ifd : ifd + 2], order)):  # type: ignore[arg-type]
        start = ifd + 2 + 12 * entry
        if start + 12 > len(exif):
            return 1
        if int.from_bytes(exif[start : start + 2], order) == 0x0112:  # type: ignore[arg-type]
            value = int.from_bytes(exif[start + 8 : start + 10], order)  # type: ignore[arg-type]
            return value if 1 <= value <= 8 else 1
    return 1


def to_bgr_uint8(image: np.ndarray, name: str = "<array>") -> np.ndarray:
    """Convert grayscale, BGRA, 16-bit, float or bool arrays to BGR uint8 ``(H, W, 3)``.

    16-bit images are scaled by 1/257; float images are taken as 0..1 and clipped.
    """
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise InvalidInputError(
            f"{name}: expected an image of shape (H, W), (H, W, 3) or (H, W, 4), got {tuple(image.shape)}"
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise InvalidInputError(f"{name}: zero-size image {tuple(image.shape)}")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise InvalidInputError(f"{name}: {image.shape[1]}x{image.shape[0]} pixels is above the limit of {MAX_PIXELS}")
    image = _to_uint8(image, name)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = _flatten_alpha(image)
    return np.ascontiguousarray(image)


def read_mask(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a single-channel uint8 class-id mask; raise :class:`InvalidInputError` if it is not one."""
    label = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"{label}: cannot read mask ({exc.strerror or exc})") from None
    mask = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED) if data else None
    if mask is None:
        raise InvalidInputError(f"{label}: unreadable mask (not an image or truncated)")
    if mask.ndim != 2 or mask.dtype != np.uint8:
        raise InvalidInputError(
            f"{label}: mask must be single-channel uint8 class ids, got shape {mask.shape} dtype {mask.dtype}"
        )
    return mask


def _to_uint8(image: np.ndarray, name: str) -> np.ndarray:
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255
    if image.dtype == np.uint16:
        return (image // 257).astype(np.uint8)
    if image.dtype in (np.float16, np.float32, np.float64):
        if not np.isfinite(image).all():
            raise InvalidInputError(f"{name}: float image contains NaN or infinity")
        return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if image.dtype in (np.int8, np.int16, np.int32, np.int64, np.uint32, np.uint64):
        return np.clip(image, 0, 255).astype(np.uint8)
    raise InvalidInputError(f"{name}: unsupported dtype {image.dtype}; expected uint8, uint16 or float")


def _flatten_alpha(image: np.ndarray) -> np.ndarray:
    """Composite BGRA onto white paper (transparent areas of a drawing are background).

    An opaque image (CMYK TIFF decodes as BGRA with alpha 255) only drops the channel: no float copies of a big scan.
    """
    if int(image[:, :, 3].min()) == 255:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    alpha = image[:, :, 3:4].astype(np.float32) / 255.0
    bgr = image[:, :, :3].astype(np.float32)
    return (bgr * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
