"""A photo of a guest pass, decoded on the server (the desk page's fallback when the camera
scanner cannot run): Pillow opens the image, zxing-cpp (a wheel with no system package) finds
the QR code. Limits come first: the size before reading, the pixel count before decoding.
"""

from __future__ import annotations

from typing import IO

from node.messages import N_

MAX_PHOTO_BYTES = 10 * 1024 * 1024  # a phone photo is a few MB
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding them


class PhotoError(Exception):
    """A photo the desk cannot read, with a reason and a message for the receptionist."""

    def __init__(self, reason: str, detail: str, status: int = 422) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.status = reason, detail, status


def decode_qr(stream: IO[bytes]) -> str:
    """The text of the QR code in the photo read from ``stream``."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    data = stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoError(
            "photo-too-large", N_("The photo is larger than 10 MB: take it again closer up."), 413
        )
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        import io

        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError("photo-too-large", N_("The photo has too many pixels."), 413)
            image.load()
            found = [
                code
                for code in zxingcpp.read_barcodes(image.convert("L"))
                if code.format == zxingcpp.BarcodeFormat.QRCode
            ]
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise PhotoError("not-an-image", N_("This file is not a photo the desk can read.")) from exc
    if not found:
        raise PhotoError(
            "no-qr-code", N_("No QR code found in the photo: try again, closer and sharper.")
        )
    return str(found[0].text)
