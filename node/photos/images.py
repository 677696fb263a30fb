"""An uploaded image made into the files a photo is published as (protocol.md §Photos).

Every upload is decoded and encoded again, never passed through: what leaves the node is a fresh
JPEG with no metadata at all (EXIF, GPS, XMP, ICC and comments are not copied), turned upright
by its EXIF orientation first, its colours converted to sRGB from an embedded ICC profile, at
a few widths that never exceed the original. Limits come
before work: the byte size before reading, the pixel count from the header before decoding
(decompression bombs, protocol.md §Security considerations), and only JPEG, PNG and WebP are
opened at all (no SVG, no other decoder of Pillow's).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from federation.photos import MAX_PHOTO_BYTES
from node.errors import InvalidInput, NodeError
from node.messages import N_

if TYPE_CHECKING:  # Pillow is imported when an image is made, not with the CLI
    from PIL.Image import Image

WIDTHS = (480, 960, 1600)  # phone, tablet and desktop columns; a srcset picks one
MAX_PIXELS = 40_000_000  # a 40-megapixel camera; more is refused before decoding
INPUT_FORMATS = ("JPEG", "PNG", "WEBP")
JPEG_QUALITY = 82
MEDIA_TYPE = "image/jpeg"
# Cameras' and phones' profiles are a few kilobytes; a larger one is not worth parsing.
MAX_PROFILE_BYTES = 1_000_000


@dataclass(frozen=True)
class Encoded:
    """One file of a photo: its bytes and dimensions."""

    data: bytes
    width: int
    height: int


class TooLarge(NodeError):
    """An upload over the node's ``photo_upload_bytes``."""

    status = 413
    reason = "photo-too-large"
    title = "Content too large"


def _not_an_image(detail: str) -> InvalidInput:
    return InvalidInput(detail, reason="not-an-image")


def check_upload_size(size: int, limit: int) -> None:
    """Refuse an upload of ``size`` bytes over ``limit``, saying what to do."""
    if size > limit:
        raise TooLarge(
            N_(
                "the image is %(size)s MB, more than the %(limit)s MB allowed: "
                "export it smaller (e.g. 2000 pixels wide) and try again",
                size=f"{size / 1e6:.1f}",
                limit=f"{limit / 1e6:.1f}",
            )
        )


def encode(data: bytes, limit: int) -> list[Encoded]:
    """The files of a photo made from the uploaded ``data``: JPEG, no metadata, widest last.

    Refuses with a clear ``InvalidInput`` (``not-an-image``) anything that is not a JPEG, PNG or
    WebP image Pillow can decode, and with ``TooLarge`` more than ``limit`` bytes or
    :data:`MAX_PIXELS` pixels.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    check_upload_size(len(data), limit)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: make it an error too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=INPUT_FORMATS) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise TooLarge(
                        N_(
                            "the image has %(width)s×%(height)s pixels, more than "
                            "%(millions)s million: scale it down and try again",
                            width=image.width,
                            height=image.height,
                            millions=MAX_PIXELS // 1_000_000,
                        )
                    )
                image.seek(0)  # an animated PNG or WebP: its first frame
                image.load()
                profile = image.info.get("icc_profile")
                upright = ImageOps.exif_transpose(image)
                rgb = _in_srgb(_flatten(upright), profile)
                # Pillow writes some of ``info`` back when saving (a JPEG comment): drop it all.
                rgb.info.clear()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooLarge(
            N_(
                "the image has too many pixels, more than %(millions)s million: "
                "scale it down and try again",
                millions=MAX_PIXELS // 1_000_000,
            )
        ) from None
    except UnidentifiedImageError:
        raise _not_an_image(
            N_("the file is not a photo this node can read: upload a JPEG, PNG or WebP image")
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _not_an_image(
            N_("the image could not be read (%(error)s): upload another file", error=str(exc))
        ) from exc
    return [_scaled(rgb, width) for width in _widths(rgb.width)]


def _flatten(image: Image) -> Image:
    """The image in RGB, transparency laid on white (JPEG has no alpha)."""
    from PIL import Image as PIL

    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = PIL.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _in_srgb(image: Image, profile: bytes | None) -> Image:
    """The RGB ``image`` with its colours converted from the embedded ICC ``profile`` to sRGB.

    The files carry no profile, and a browser shows an untagged JPEG as sRGB: a phone's Display
    P3 or a camera's Adobe RGB photo would look washed out if its pixels were kept as they are.
    A profile that is too large or that littleCMS cannot use is ignored (the pixels kept), as
    a browser would do: the photo is still worth showing."""
    if not profile or len(profile) > MAX_PROFILE_BYTES:
        return image
    from PIL import ImageCms

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        if source.profile.xcolor_space.strip() != "RGB":
            return image  # a CMYK or grey profile does not describe these RGB pixels
        converted = ImageCms.profileToProfile(image, source, _srgb(), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image
    return converted if converted is not None else image


def _srgb() -> Any:
    from PIL import ImageCms

    return ImageCms.createProfile("sRGB")


def _widths(original: int) -> list[int]:
    """The widths to make: those of :data:`WIDTHS` below the original, and the original itself
    when it is narrower than the widest (never scaled up)."""
    chosen = [w for w in WIDTHS if w < original]
    if original <= WIDTHS[-1]:
        chosen.append(original)
    else:
        chosen.append(WIDTHS[-1])
    return sorted(set(chosen))


def _scaled(image: Image, width: int) -> Encoded:
    from PIL import Image as PIL

    height = max(1, round(image.height * width / image.width))
    lanczos = PIL.Resampling.LANCZOS
    resized = image if width == image.width else image.resize((width, height), lanczos)
    quality = JPEG_QUALITY
    while True:
        out = io.BytesIO()
        # No exif=, icc_profile= or comment: the new file carries pixels only.
        resized.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
        data = out.getvalue()
        if len(data) <= MAX_PHOTO_BYTES or quality <= 40:
            break
        quality -= 15
    if len(data) > MAX_PHOTO_BYTES:
        raise _not_an_image(N_("the image does not compress to a photo file: upload another one"))
    return Encoded(data, width, resized.height)
