"""Real pages in a real browser: the distribution's headless Chromium driven by Selenium, and a
node's web app served on a loopback port by a real HTTP server.

Tests that need them skip with the reason when Chromium or its driver is not installed
(``apt-get install chromium chromium-driver``; ``.ci/run`` installs them).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.e2e.processes import free_port

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DRIVER_NAMES = ("chromedriver", "chromium-driver")


def _find(names: Sequence[str]) -> str | None:
    for name in names:
        found = shutil.which(name) or (
            f"/usr/lib/chromium/{name}" if Path(f"/usr/lib/chromium/{name}").exists() else None
        )
        if found:
            return found
    return None


def require_chromium() -> tuple[str, str]:
    """The Chromium and chromedriver binaries, or skip the test saying what is missing."""
    browser, driver = _find(CHROMIUM_NAMES), _find(DRIVER_NAMES)
    if browser is None or driver is None:
        pytest.skip(
            "headless Chromium and chromedriver are not installed "
            "(apt-get install chromium chromium-driver): browser test skipped"
        )
    return browser, driver


@contextmanager
def chromium(*flags: str) -> Iterator[object]:
    """A headless Chromium session (selenium WebDriver) with extra command-line ``flags``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=390,844",  # a phone
        *flags,
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


class Served:
    """A Flask app on a real loopback HTTP server in a thread; :meth:`stop` switches it off."""

    def __init__(self, app: Flask) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@contextmanager
def served(app: Flask) -> Iterator[Served]:
    """Serve ``app`` on a free loopback port for the duration of the block."""
    server = Served(app)
    try:
        yield server
    finally:
        if server.thread.is_alive():
            server.stop()


def y4m_video(
    image_path: Path, out: Path, frames: int = 4, size: tuple[int, int] = (640, 480)
) -> Path:
    """A tiny YUV4MPEG2 video showing the image, for Chromium's fake camera
    (``--use-file-for-fake-video-capture``): grey levels in Y, neutral colour planes."""
    from PIL import Image

    width, height = size
    canvas = Image.new("L", size, 255)
    with Image.open(image_path) as image:
        picture = image.convert("L")
        picture.thumbnail((height - 40, height - 40))
        canvas.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
    luma = canvas.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with out.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F5:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + luma + chroma + chroma)
    return out
