"""The Leeds map (482 areas, ~2,000 assets): the time to build and save it (process CPU time,
best and median of 5, after one warm-up build; the machine may be shared), its size, and its
time to become interactive in headless Chromium (Debian's chromium and chromium-driver, with
selenium).

Run: .venv/bin/python benchmarks/bench_map.py
     (targets: build + save <= 0.4 s CPU, <= 3 MB, interactive < 2 s)
"""

from __future__ import annotations

import shutil
import tempfile
import time
import warnings
from pathlib import Path

from _common import leeds_config, timed

from inclusion_geo.mapping import save_map
from inclusion_geo.report import build_map
from inclusion_geo.runner import run_config

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def main() -> None:
    warnings.simplefilter("ignore", UserWarning)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        result = run_config(leeds_config(tmp))
        with timed("build and save the Leeds map (first, wall)"):
            path = save_map(result.map(), tmp / "map.html")
        builds, saves = [], []
        for _ in range(5):
            start = time.process_time()
            m = build_map(result)
            built = time.process_time()
            save_map(m, tmp / "map.html")
            builds.append(built - start)
            saves.append(time.process_time() - built)
        for label, times in (("build_map", builds), ("save_map", saves)):
            print(
                f"{label + ' CPU (best, median of 5)':<48} {min(times):8.3f} s {sorted(times)[2]:6.3f} s"
            )
        total = sorted(b + s for b, s in zip(builds, saves, strict=True))[2]
        print(f"{'build + save CPU (median)':<48} {total:8.3f} s   (target <= 0.4 s)")
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
