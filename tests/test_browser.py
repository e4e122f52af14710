"""Open maps in headless Chromium (Debian's chromium and chromium-driver, installed by .ci/run)."""

import os
import shutil
from pathlib import Path

import pytest

from inclusion_geo import mapping

from .hostile import TEMPLATE_EXPR, assert_not_evaluated
from .test_mapping import EVIL_AREA, EVIL_ASSET, TOKEN, hostile_result

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1400,900",
]  # fmt: skip

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        chromium = None
    if not (chromium and driver):
        message = "chromium, chromedriver and selenium are needed: apt-get install chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(driver), options=options)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def open_map(browser, path):
    browser.get(path.as_uri())
    browser.execute_async_script(
        "var done = arguments[0]; requestAnimationFrame(function(){ setTimeout(done, 200); });"
    )
    return [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def test_demo_map_works_in_a_real_browser(browser, demo_result, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    path = mapping.save_map(demo_result.map(), tmp_path / "map.html")
    errors = open_map(browser, path)
    assert errors == []
    labels = [
        e.text for e in browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers label")
    ]
    for expected in [
        "Risk index",
        "Hotspots (Getis-Ord Gi*)",
        "Priority areas (bands 1-2)",
        "Wards",
    ]:
        assert expected in labels
    assert any(text.startswith("Digital support: library") for text in labels)
    # areas and assets are drawn
    assert len(browser.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) > 320
    # hovering an area shows its tooltip
    area = browser.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")[5]
    ActionChains(browser).move_to_element(area).perform()
    browser.execute_async_script("setTimeout(arguments[0], 300)")
    tooltips = browser.find_elements(By.CSS_SELECTOR, ".leaflet-tooltip")
    text = (
        browser.execute_script("return arguments[0].textContent", tooltips[0]) if tooltips else ""
    )
    assert "Risk index" in text and "Top barriers" in text
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "demo_map.png"))


def test_injection_strings_render_literally_and_run_nothing(browser, demo_result, tmp_path):
    from selenium.webdriver.common.by import By

    result = hostile_result(demo_result)
    path = mapping.save_map(result.map(), tmp_path / "evil.html")
    # count calls to alert from before any page script runs
    browser.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument",
        {"source": "window.__alerts = 0; window.alert = function(){ window.__alerts++; };"},
    )
    errors = open_map(browser, path)
    assert errors == []
    assert browser.execute_script("return window.__alerts") == 0
    # hover and click every feature carrying the hostile strings, as a user would, and read
    # what the tooltip and popup show
    texts = browser.execute_script(
        """
        var out = [], token = arguments[0];
        var map = Object.values(window).find(function(v){ return v instanceof L.Map; });
        map.eachLayer(function(layer){
          var props = layer.feature && JSON.stringify(layer.feature.properties);
          if (!props || (props.indexOf('alert') < 0 && props.indexOf(token) < 0)) return;
          var at = layer.getLatLng ? layer.getLatLng() : layer.getBounds().getCenter();
          layer.fire('mouseover', {latlng: at}, true);
          document.querySelectorAll('.leaflet-tooltip').forEach(function(t){ out.push(t.textContent); });
          layer.fire('mouseout', {latlng: at}, true);
          layer.fire('click', {latlng: at}, true);
          document.querySelectorAll('.leaflet-popup-content').forEach(function(p){ out.push(p.textContent); });
          map.closePopup();
        });
        return out.join('\\n');
        """,
        TOKEN,
    )
    assert EVIL_ASSET in texts
    assert EVIL_AREA in texts
    # template syntax in names shows as typed, in tooltips, popups, layer names and the title
    assert f"{TEMPLATE_EXPR} {TOKEN}" in texts
    page_text = browser.find_element(By.TAG_NAME, "body").text
    assert f"{TEMPLATE_EXPR} {TOKEN}" in page_text
    assert_not_evaluated(page_text + texts)
    assert not browser.find_elements(
        By.CSS_SELECTOR, ".leaflet-popup-content img, .leaflet-tooltip img"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "injection_map.png"))


@pytest.mark.shared_data
def test_leeds_map_works_in_a_real_browser(browser, shared_data, tmp_path):
    import warnings

    from selenium.webdriver.common.by import By

    from inclusion_geo.runner import run_config

    text = (Path(__file__).resolve().parents[1] / "examples" / "leeds.toml").read_text()
    config = tmp_path / "leeds.toml"
    config.write_text(text.replace("../../shared/data", str(shared_data)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = run_config(config)
    path = mapping.save_map(result.map(), tmp_path / "leeds.html")
    assert path.stat().st_size <= 3_000_000
    assert open_map(browser, path) == []
    labels = [
        e.text for e in browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers label")
    ]
    assert (
        "Risk index" in labels
        and "Wards" in labels
        and any(t.startswith("Digital support: library") for t in labels)
    )
    assert len(browser.find_elements(By.CSS_SELECTOR, "path.leaflet-interactive")) >= 482
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "leeds_map.png"))
