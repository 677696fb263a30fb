"""Screenshots of the network pages on a phone at a thousand spaces, for the bench README.

Run from the repository root: ``.venv/bin/python tests/bench/screenshot_network.py [--spaces
1000] [--events 20]``. Builds the same node as ``bench_network_pages.py`` (1,000 mirrored
spaces × 20 upcoming events), serves it on loopback and opens ``/network`` and
``/network/events`` in headless Chromium at 390 × 844 CSS pixels (``tests/e2e/browser.py``).
Writes ``tests/bench/network-390.png`` and ``tests/bench/network-events-390.png`` (the first
screen of each) and prints each page's width as laid out (wider than 390 means sideways
scrolling), its height and its transfer size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a plain script

from tests.bench.common import say
from tests.bench.network_mirror import fill
from tests.e2e.browser import Served, chromium

HERE = Path(__file__).resolve().parent
PAGES = {"/network": "network-390.png", "/network/events": "network-events-390.png"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spaces", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args()
    from node import create_app
    from node.bootstrap import init_node

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "node"
        init_node(
            data, "Spazio Molo", "http://127.0.0.1:1", timezone="Europe/Rome",
            profile={"city": "Genova", "district": "Porto", "country": "IT"},
            settings={"scheduler": False},
        )  # fmt: skip
        fill(data, args.spaces, args.events, say)
        app = create_app({"data_dir": str(data)})
        served = Served(app)
        try:
            with chromium() as driver:
                # Headless Chromium keeps a window at least 500 px wide: the phone's viewport is
                # set through the DevTools protocol, as the browser's device mode does.
                driver.execute_cdp_cmd(  # type: ignore[attr-defined]
                    "Emulation.setDeviceMetricsOverride",
                    {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
                )
                for path, name in PAGES.items():
                    driver.get(served.url + path)  # type: ignore[attr-defined]
                    width = driver.execute_script(  # type: ignore[attr-defined]
                        "return [window.innerWidth, document.documentElement.scrollWidth]"
                    )
                    height = driver.execute_script(  # type: ignore[attr-defined]
                        "return document.documentElement.scrollHeight"
                    )
                    size = driver.execute_script(  # type: ignore[attr-defined]
                        "return performance.getEntriesByType('navigation')[0].transferSize"
                    )
                    driver.save_screenshot(str(HERE / name))  # type: ignore[attr-defined]
                    print(
                        f"{path}: viewport {width[0]} px, laid out {width[1]} px wide, "
                        f"{height} px tall, "
                        f"{size / 1024:.1f} KiB transferred → tests/bench/{name}"
                    )
        finally:
            served.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
