"""Make docs/images/step_through.png: the neuron's HTML step-through at step 5, as headless Chromium shows it.

    python scripts/step_through_picture.py

Needs Chromium (Debian: ``apt-get install chromium``); drives it with tests/chromium.py.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from chromium import Browser, find_chromium  # noqa: E402
from dags import neuron  # noqa: E402

from autograd_engine import save_html  # noqa: E402

STEP = 5
OUT = ROOT / "docs" / "images" / "step_through.png"


def main() -> None:
    o = neuron()
    with tempfile.TemporaryDirectory() as tmp, Browser(find_chromium()) as browser:
        page = save_html(o, Path(tmp) / "neuron.html")
        browser.goto(f"file://{page}")
        browser.wait_for("document.body.getAttribute('data-step') === '0'")
        browser.evaluate("document.getElementById('ae-graph').style.height = '330px'")
        for _ in range(STEP):
            browser.press("ArrowRight")
        height = browser.evaluate("document.getElementById('ae-log').getBoundingClientRect().top")
        browser.screenshot(str(OUT), clip={"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1})
    print(f"{OUT}: {OUT.stat().st_size / 1000:.0f} kB")


if __name__ == "__main__":
    main()
