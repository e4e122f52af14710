"""Open maps in headless Chromium (Debian's chromium and chromium-driver, installed by .ci/run)."""

import os
import shutil
from pathlib import Path

import pytest

from inclusion_geo import mapping

from .hostile import TEMPLATE_EXPR, assert_not_evaluated
from .test_mapping import EVIL_AREA, EVIL_ASSET, TOKEN, hostile_result, partial_result

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1366,768",  # a common council laptop screen
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


FIND_MAP = "var map = Object.values(window).find(function(v){ return v instanceof L.Map; });"
# the page's furniture: none may cover another, all must fit on the screen
FURNITURE = {
    "title": ".ig-title",
    "legend": ".ig-legends",
    "layers": ".leaflet-control-layers",
    "search": ".leaflet-control-search",
    "panel": "#ig-panel",
    "credits": ".leaflet-control-attribution",
    "zoom": ".leaflet-control-zoom",
}


def markers_in_reach(browser) -> tuple[set, set]:
    """(asset markers in view and not under the page's furniture, those of them a click at
    their centre reaches), each marker named by its position."""
    seen, reached = browser.execute_script(
        FIND_MAP
        + """
        var box = map.getContainer().getBoundingClientRect(), seen = [], reached = [];
        map.eachLayer(function(l) {
          if (!(l instanceof L.CircleMarker) || l instanceof L.Circle || !l._path) return;
          var p = map.latLngToContainerPoint(l.getLatLng());
          var x = box.left + p.x, y = box.top + p.y;
          if (x < 1 || y < 1 || x >= innerWidth - 1 || y >= innerHeight - 1) return;
          var hit = document.elementFromPoint(x, y);
          if (hit && hit.closest('.leaflet-control, .ig-title, .ig-legends, .ig-panel')) return;
          var key = l.getLatLng().lat.toFixed(6) + ',' + l.getLatLng().lng.toFixed(6);
          seen.push(key);
          if (hit === l._path) reached.push(key);
        });
        return [seen, reached];
        """
    )
    return set(seen), set(reached)


def toggle_layer(browser, label: str) -> None:
    """Click a layer's checkbox in the layer list, as a user would."""
    browser.execute_script(
        """
        var want = arguments[0];
        var label = Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))
          .find(function(l) { return l.textContent.trim() === want; });
        label.querySelector('input').click();
        """,
        label,
    )


def clickable_area(browser):
    """An area of the risk index whose drawn centre a click reaches, and its name."""
    return browser.execute_script(
        FIND_MAP
        + """
        var found = null;
        map.eachLayer(function(l) {
          if (found || !l.feature || !l._path || !l.getTooltip || !l.getTooltip()) return;
          var p = l.feature.properties;  // an area with every detail to show
          if (!p.priority_label || !p.work_through || !p.top_barriers) return;
          var r = l._path.getBoundingClientRect(), x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
          if (document.elementFromPoint(x, y) === l._path) found = [l._path, l.feature.properties.name];
        });
        return found;
        """
    )


def tallest_tooltip(browser) -> float:
    """The height of the tallest area tooltip, each area hovered in turn."""
    return browser.execute_script(
        FIND_MAP
        + """
        var tallest = 0;
        map.eachLayer(function(l) {
          if (!l.feature || !l.getBounds || !l.getTooltip || !l.getTooltip()) return;
          var at = l.getBounds().getCenter();
          l.fire('mouseover', {latlng: at}, true);
          document.querySelectorAll('.leaflet-tooltip').forEach(function(t) {
            tallest = Math.max(tallest, t.getBoundingClientRect().height);
          });
          l.fire('mouseout', {latlng: at}, true);
        });
        return tallest;
        """
    )


def assert_layout(browser, expected=("title", "legend", "layers", "search", "credits")):
    """The furniture fits in the window, nothing covers anything else, and most of the map is
    left to see."""
    rects, width, height = browser.execute_script(
        """
        var out = {};
        for (var key in arguments[0]) {
          var e = document.querySelector(arguments[0][key]);
          if (!e || e.hidden || getComputedStyle(e).display === 'none') continue;
          var r = e.getBoundingClientRect();
          if (r.width > 0 && r.height > 0) out[key] = [r.left, r.top, r.right, r.bottom];
        }
        return [out, innerWidth, innerHeight];
        """,
        FURNITURE,
    )
    assert set(expected) <= set(rects), rects
    for key, (left, top, right, bottom) in rects.items():
        assert left >= -1 and top >= -1 and right <= width + 1 and bottom <= height + 1, key
    keys = sorted(rects)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            (l1, t1, r1, b1), (l2, t2, r2, b2) = rects[a], rects[b]
            overlap = max(0, min(r1, r2) - max(l1, l2)) * max(0, min(b1, b2) - max(t1, t2))
            assert overlap <= 2, f"{a} covers {b}: {rects[a]} {rects[b]}"
    covered = sum((x2 - x1) * (y2 - y1) for x1, y1, x2, y2 in rects.values())
    assert covered < 0.5 * width * height, f"{covered / (width * height):.0%} of the map covered"
    return rects


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
    # hovering an area shows its compact tooltip
    area, _ = clickable_area(browser)
    ActionChains(browser).move_to_element(area).perform()
    browser.execute_async_script("setTimeout(arguments[0], 300)")
    tooltips = browser.find_elements(By.CSS_SELECTOR, ".leaflet-tooltip")
    text = (
        browser.execute_script("return arguments[0].textContent", tooltips[0]) if tooltips else ""
    )
    assert "Risk index" in text and "What to do" in text and "Click for details" in text
    assert "Top barriers" not in text  # in the panel, a click away
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
          var panel = document.getElementById('ig-panel');
          if (!panel.hidden) out.push(panel.textContent);
          igPanelClose();
          map.closePopup();
        });
        igShowCredits();  // every source, in the side panel
        out.push(document.getElementById('ig-panel').textContent);
        return out.join('\\n');
        """,
        TOKEN,
    )
    assert EVIL_ASSET in texts
    assert EVIL_AREA in texts
    assert f"{EVIL_ASSET} {TOKEN}" in texts  # a source's text, in the sources panel
    assert browser.title == result.title
    # template syntax in names shows as typed, in tooltips, popups, layer names and the title
    assert f"{TEMPLATE_EXPR} {TOKEN}" in texts
    page_text = browser.find_element(By.TAG_NAME, "body").text
    assert f"{TEMPLATE_EXPR} {TOKEN}" in page_text
    assert_not_evaluated(page_text + texts)
    assert not browser.find_elements(
        By.CSS_SELECTOR,
        ".leaflet-popup-content img, .leaflet-tooltip img, .ig-panel img, .ig-title img, "
        ".leaflet-control-attribution img",
    )
    # the caveat box names the hostile indicator as typed
    caveat = browser.find_element(By.CSS_SELECTOR, ".ig-caveat").text
    assert f"{TEMPLATE_EXPR} {TOKEN}" in caveat
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "injection_map.png"))


def test_markers_stay_above_areas_after_a_layer_toggle(browser, demo_result, tmp_path):
    """Switching area layers off and on (and others on) leaves every asset marker that was
    reachable reachable: areas draw in panes below the markers."""
    path = mapping.save_map(demo_result.map(), tmp_path / "map.html")
    assert open_map(browser, path) == []
    seen, before = markers_in_reach(browser)
    assert len(seen) >= 20 and len(before) >= 0.9 * len(seen)
    for label in ["Risk index", "Priority areas (bands 1-2)", "Wards"]:
        toggle_layer(browser, label)  # off
        toggle_layer(browser, label)  # and on again
    for label in ["Priority areas: what to do", "Hotspots (Getis-Ord Gi*)",
                  "Catchments: digital support (800 m)"]:  # fmt: skip
        toggle_layer(browser, label)  # on, over the risk index
    seen_after, after = markers_in_reach(browser)
    assert before & seen_after <= after, f"{len(before & seen_after) - len(after)} now hidden"
    assert len(after) >= 0.9 * len(seen_after)


def test_tooltip_fits_and_a_click_opens_the_panel(browser, demo_result, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    path = mapping.save_map(demo_result.map(), tmp_path / "map.html")
    assert open_map(browser, path) == []
    height = browser.execute_script("return innerHeight")
    assert 0 < tallest_tooltip(browser) <= height / 2
    assert_layout(browser)
    # a real click on an area opens the side panel with all its details, outlined on the map
    area, name = clickable_area(browser)
    ActionChains(browser).move_to_element(area).click().perform()
    panel = browser.find_element(By.ID, "ig-panel")
    assert panel.is_displayed()
    text = panel.text
    for words in [name, "Top barriers", "Work through", "Nearest support", "Population",
                  "Residents at risk", "Hotspot", "What to do", "Code"]:  # fmt: skip
        assert words in text, words
    assert browser.execute_script("return igSelected !== null")
    ActionChains(browser).move_to_element(
        browser.find_element(By.CSS_SELECTOR, ".ig-title")
    ).perform()
    assert_layout(browser, ("title", "legend", "layers", "search", "credits", "panel"))
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "demo_map_panel_1366x768.png"))
    # closable: the button, or Escape
    browser.find_element(By.CSS_SELECTOR, ".ig-panel-close").click()
    assert not panel.is_displayed()
    assert browser.execute_script("return igSelected === null")
    ActionChains(browser).move_to_element(area).click().perform()
    assert panel.is_displayed()
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    assert not panel.is_displayed()


def test_search_outlines_the_area_found(browser, demo_result, tmp_path):
    from selenium.webdriver.common.by import By

    path = mapping.save_map(demo_result.map(), tmp_path / "map.html")
    assert open_map(browser, path) == []
    name = demo_result.areas["name"].iloc[7]
    zoom = browser.execute_script(FIND_MAP + "return map.getZoom();")
    browser.find_element(By.CSS_SELECTOR, ".leaflet-control-search input").send_keys(name)
    browser.execute_async_script("setTimeout(arguments[0], 500)")
    tips = [t for t in browser.find_elements(By.CSS_SELECTOR, ".search-tip") if name in t.text]
    assert tips, "the search offered no match"
    tips[0].click()
    browser.execute_async_script("setTimeout(arguments[0], 800)")
    panel = browser.find_element(By.ID, "ig-panel")
    assert panel.is_displayed() and panel.find_element(By.TAG_NAME, "h2").text == name
    # the outline drawn is the area found, and the map zoomed in to it
    outlined = browser.execute_script(
        FIND_MAP
        + """
        var want = arguments[0], area = null, drawn = igSelected.getLayers()[0].getBounds();
        map.eachLayer(function(l) {
          if (l.feature && l.feature.properties.name === want && l.getBounds) area = l.getBounds();
        });
        return area !== null && area.equals(drawn, 1e-9) && map.getBounds().contains(area);
        """,
        mapping._e(name),
    )
    assert outlined
    assert browser.execute_script(FIND_MAP + "return map.getZoom();") > zoom


def test_offline_basemap_caveat_and_credits(browser, demo_result, tmp_path):
    """With the optional OSM basemap and no network the page still works: only the tiles fail,
    and the credits say so; the caveat box and every credit are on screen."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    result = partial_result(demo_result)
    path = mapping.save_map(result.map(tiles="OpenStreetMap"), tmp_path / "osm.html")
    browser.execute_cdp_cmd("Network.enable", {})
    offline = {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, **offline})
    try:
        errors = open_map(browser, path)
        browser.execute_async_script("setTimeout(arguments[0], 500)")
        errors += [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        credits = browser.find_element(By.CSS_SELECTOR, ".leaflet-control-attribution").text
    finally:
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, **offline})
    assert [e for e in errors if "tile.openstreetmap.org" not in e["message"]] == []
    assert "OpenStreetMap basemap not loaded (offline?)" in credits
    assert "Contains OS data © Crown copyright and database right" in credits
    assert "© OpenStreetMap contributors (ODbL)" in credits
    labels = [
        e.text for e in browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-layers label")
    ]
    assert "Basemap: OpenStreetMap (online only)" in labels
    caveat = browser.find_element(By.CSS_SELECTOR, ".ig-caveat").text
    assert "connectivity is not in this index" in caveat
    assert "partial: 8 of 11 indicators" in browser.find_element(By.CSS_SELECTOR, ".ig-title").text
    # every source, in full, one click away
    browser.find_element(By.CSS_SELECTOR, ".ig-credits-link").click()
    panel = browser.find_element(By.ID, "ig-panel")
    for key, text in result.sources.items():
        assert f"{key}: {text}" in panel.text
    area, _ = clickable_area(browser)
    ActionChains(browser).move_to_element(area).click().perform()
    assert "Top barriers" in panel.text
    assert_layout(browser, ("title", "legend", "layers", "search", "credits", "panel"))
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "partial_osm_offline_1366x768.png"))


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
    # at 1366x768: every tooltip fits, the furniture leaves the map to see, and markers stay
    # reachable after an area layer is switched off and on
    assert 0 < tallest_tooltip(browser) <= browser.execute_script("return innerHeight") / 2
    assert_layout(browser)
    seen, before = markers_in_reach(browser)
    assert len(seen) >= 20 and len(before) >= 0.8 * len(seen)
    toggle_layer(browser, "Risk index")
    toggle_layer(browser, "Risk index")
    seen_after, after = markers_in_reach(browser)
    assert before & seen_after <= after
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "leeds_map.png"))
