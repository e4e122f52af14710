"""Size of the Leeds map (482 areas, ~2,000 assets) and its time to become interactive in
headless Chromium (Debian's chromium and chromium-driver, with selenium).

Run: .venv/bin/python benchmarks/bench_map.py     (targets: <= 3 MB, interactive < 2 s)
"""

from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from pathlib import Path

from _common import leeds_config, timed

from inclusion_geo.mapping import save_map
from inclusion_geo.runner import run_config

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def main() -> None:
    warnings.simplefilter("ignore", UserWarning)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        result = run_config(leeds_config(tmp))
        with timed("build and save the Leeds map"):
            path = save_map(result.map(), tmp / "map.html")
        print(f"{'map size':<48} {path.stat().st_size / 1e6:8.2f} MB   (target <= 3 MB)")
        print(f"areas {len(result.areas)}, assets {len(result.assets)}")
        if not (shutil.which("chromium") and shutil.which("chromedriver")):
            print("browser timing skipped: apt-get install chromium chromium-driver")
            return
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        for flag in FLAGS + [f"--user-data-dir={tmp / 'profile'}"]:
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        try:
            times = []
            for _ in range(3):
                start = time.perf_counter()
                driver.get(path.as_uri())
                # interactive: the page has loaded, layers are drawn, and a frame has been painted
                driver.execute_async_script(
                    "var done = arguments[0]; requestAnimationFrame(function(){ setTimeout(done, 0); });"
                )
                n = driver.execute_script(
                    "return document.querySelectorAll('path.leaflet-interactive').length"
                )
                times.append(time.perf_counter() - start)
            print(
                f"{'time to interactive (best of 3)':<48} {min(times):8.3f} s   (target < 2 s; {n} shapes drawn)"
            )
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
