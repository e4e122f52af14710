"""Static figures: drawn without pyplot, ward maps on the borough's classes with their legend
outside the map and area labels, the hotspot and action maps, and the per-ward figures drawn
once and updated (the same pixels as drawing each alone)."""

import subprocess
import sys
import warnings

import geopandas as gpd
import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image
from shapely.geometry import MultiPolygon, Point, Polygon, box

from inclusion_geo import figures, report
from inclusion_geo._safe import clean_text
from tests.hostile import HOSTILE


def _pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=float)


def test_importing_figures_leaves_the_backend_and_pyplot_alone():
    code = (
        "import sys, matplotlib; matplotlib.use('svg'); import inclusion_geo.figures, "
        "inclusion_geo.report; assert matplotlib.get_backend() == 'svg', matplotlib.get_backend(); "
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-1500:]


def test_quantile_bins_are_the_interactive_maps_classes(demo_result):
    import mapclassify

    y = demo_result.areas["risk_index"].to_numpy()
    for k in (3, 5, 7):
        np.testing.assert_allclose(figures.quantile_bins(y, k), mapclassify.Quantiles(y, k=k).bins)
    ties = np.array([1.0] * 8 + [2.0, 3.0])
    with pytest.warns(UserWarning):  # mapclassify warns on collapsed classes; we do not
        expected = mapclassify.Quantiles(ties, k=5).bins
    np.testing.assert_allclose(figures.quantile_bins(ties, 5), expected)


def _filled(paths) -> np.ndarray:
    """Which pixels of a 10 x 10 m square (100 x 100 px) the paths fill."""
    from matplotlib.collections import PathCollection
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1, 1), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ax.add_collection(PathCollection(paths, facecolors="black", edgecolors="none"))
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[::-1, :, 0] < 128  # row 0 at y = 0


def test_polygon_paths_keep_holes_parts_and_empties():
    hole = box(4, 4, 6, 6).exterior.coords
    holes = [Polygon(box(0, 0, 10, 10).exterior.coords, [c]) for c in (hole, list(hole)[::-1])]
    parts = MultiPolygon([box(0, 0, 1, 1), box(5, 5, 6, 6)])
    paths = figures._polygon_paths(np.array([*holes, parts, None, Polygon()], dtype=object))
    assert len(paths) == 5
    for holed in paths[:2]:  # a hole is a hole whichever way round its ring runs
        filled = _filled([holed])
        assert filled[10, 10] and not filled[50, 50]
    filled = _filled([paths[2]])
    assert filled[5, 5] and filled[55, 55] and not filled[30, 30]
    assert not _filled(paths[3:]).any()


@pytest.fixture
def frames(monkeypatch):
    """What each per-ward frame draws: the area collection's colours and the frame's texts."""
    seen = []
    save = figures._Frames.save

    def spy(self, path, extra=()):
        coll = self.dynamic[0]
        legend = self.fig.axes[0].get_legend()
        seen.append(
            {
                "faces": np.array(coll.get_facecolor()),
                "texts": [a.get_text() for a in extra if isinstance(a, matplotlib.text.Text)]
                + [t for a in extra if isinstance(a, figures._Labels) for t in a.texts],
                "legend": legend.get_window_extent(self.fig.canvas.get_renderer()),
                "axes": self.fig.axes[0].get_window_extent(),
                "title": self.fig.axes[0].get_title(),
            }
        )
        return save(self, path, extra)

    monkeypatch.setattr(figures._Frames, "save", spy)
    return seen


def test_ward_maps_use_the_borough_classes_with_labels_and_the_legend_outside(
    demo_result, frames, tmp_path
):
    areas = demo_result.areas
    bins = figures.quantile_bins(areas["risk_index"], 5)
    colours = figures._class_colours(len(bins), "YlOrRd")
    codes = list(demo_result.wards.index[:3])
    paths = {c: tmp_path / f"{c}.png" for c in codes}
    titles = {c: f"{c}: risk index" for c in codes}
    written = figures.ward_maps_png(
        areas, "risk_index", paths, titles=titles, bins=bins,
        ward_boundaries=demo_result.ward_boundaries, points=demo_result.assets,
    )  # fmt: skip
    assert written == list(paths.values())
    for code, frame in zip(codes, frames, strict=True):
        mine = areas[areas["ward_code"] == code]
        # every colour drawn is one of the borough's classes (neighbours faded, same hue)
        drawn = {tuple(np.round(f[:3], 6)) for f in frame["faces"]}
        assert drawn <= {tuple(np.round(c[:3], 6)) for c in colours}
        # each of the ward's own areas is labelled, without the common "Demoborough " prefix
        assert sorted(frame["texts"][1:]) == sorted(
            n.removeprefix("Demoborough ") for n in mine["name"]
        )
        assert frame["title"] == titles[code]
        assert frame["legend"].x0 >= frame["axes"].x1  # the legend is beside the map, not on it
    # the crops differ, and each PNG has the ward's own full-strength colours
    a, b = (_pixels(p) for p in written[:2])
    assert a.shape == b.shape and np.abs(a - b).mean() > 1


def test_ward_map_class_colours_match_the_borough_map(demo_result, tmp_path):
    """An area's colour in its ward map is its colour on the borough's risk map."""
    areas = demo_result.areas
    bins = figures.quantile_bins(areas["risk_index"], 5)
    colours = (figures._class_colours(len(bins), "YlOrRd")[:, :3] * 255).round()
    code = demo_result.wards.index[0]
    (path,) = figures.ward_maps_png(
        areas, "risk_index", {code: tmp_path / "w.png"}, bins=bins, labels=None,
        ward_boundaries=demo_result.ward_boundaries,
    )  # fmt: skip
    seen = _pixels(path).reshape(-1, 3)
    mine = areas[areas["ward_code"] == code]
    for cls in np.unique(figures._classify(mine["risk_index"], bins)):
        assert (np.abs(seen - colours[cls]).max(axis=1) <= 1).sum() > 50  # a patch of it


def test_ward_profiles_drawn_once_match_each_drawn_alone(demo_result, tmp_path):
    wards = demo_result.wards.iloc[:3]
    la = demo_result.wards[[c for c in demo_result.wards if c.startswith("domain_")]].mean()
    titles = [f"{n} vs borough" for n in wards["name"]]
    batch = figures.ward_profiles_png(
        wards, la, [tmp_path / f"b{i}.png" for i in range(3)], titles=titles
    )
    for i, path in enumerate(batch):
        alone = figures.ward_profile_png(wards.iloc[i], la, tmp_path / f"a{i}.png", title=titles[i])
        a, b = _pixels(alone), _pixels(path)
        assert a.shape == b.shape
        assert np.abs(a - b).mean() < 0.5  # the same figure (antialiased edges aside)
    assert np.abs(_pixels(batch[0]) - _pixels(batch[1])).mean() > 0.1


def _legend_texts(monkeypatch) -> list:
    seen = []
    save = figures._save

    def spy(fig, path, *, dpi):
        fig.canvas.draw()
        legend = fig.axes[0].get_legend()
        seen.append(
            {
                "legend": [t.get_text() for t in legend.get_texts()],
                "maths": [t for t in fig.findobj(matplotlib.text.Text) if t.get_parse_math()],
                "outside": legend.get_window_extent().x0 >= fig.axes[0].get_window_extent().x1,
                "title": fig.axes[0].get_title(),
            }
        )
        return save(fig, path, dpi=dpi)

    monkeypatch.setattr(figures, "_save", spy)
    return seen


def test_hotspot_and_action_maps(demo_result, tmp_path, monkeypatch):
    seen = _legend_texts(monkeypatch)
    areas, assets = demo_result.areas, demo_result.assets
    title = " ".join(HOSTILE.values())
    figures.hotspot_map_png(
        areas, tmp_path / "h.png", title=title, outline=demo_result.ward_boundaries
    )
    figures.action_map_png(areas, assets, tmp_path / "a.png", title=title)
    hot, act = seen
    assert hot["legend"] == [c for c in figures.HOTSPOT_COLOURS if c in set(areas["hotspot_class"])]
    priority = areas[areas["priority_band"] <= 2]
    assert [t.split(":")[0] for t in act["legend"][: priority["action"].nunique()]] == [
        a.split("_")[0] for a in figures.ACTION_COLOURS if a in set(priority["action"])
    ]
    assert act["legend"][-3:] == ["not a priority area", "tier 1: digital support", "tier 2: venue"]
    for drawn in seen:
        assert drawn["outside"] and not drawn["maths"] and drawn["title"] == clean_text(title)
    assert all((tmp_path / f).read_bytes()[:4] == b"\x89PNG" for f in ["h.png", "a.png"])


def test_colours_match_the_interactive_map():
    from inclusion_geo import mapping

    assert figures.HOTSPOT_COLOURS == mapping.HOTSPOT_COLOURS
    assert figures.ACTION_COLOURS == mapping.ACTION_COLOURS
    assert figures.ACTION_LEGEND == mapping.ACTION_LEGEND


def test_write_figures_writes_the_hotspot_and_action_maps(demo_result, tmp_path):
    written = report.write_figures(demo_result, tmp_path)
    names = {p.name for p in written}
    assert {"risk_map.png", "hotspot_map.png", "action_map.png"} <= names
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in written)


def test_ward_pages_list_the_places_near_each_ward(demo_result, tmp_path):
    """Places within 200 m of a ward's areas, found in one spatial query, are those a buffer
    around each ward finds."""
    areas, places = demo_result.areas, demo_result.assets
    near = report._places_near_wards(areas, places, distance_m=200)
    for code in demo_result.wards.index:
        reach = areas[areas["ward_code"] == code].geometry.union_all().buffer(200)
        expected = np.flatnonzero(places.geometry.within(reach).to_numpy())
        assert list(near.get(code, [])) == list(expected)
    lonely = gpd.GeoDataFrame(
        {"ward_code": ["X"]}, geometry=[Point(0, 0).buffer(10)], crs=areas.crs
    )
    assert report._places_near_wards(lonely, places, distance_m=200) == {}


def test_figures_are_drawn_on_their_own_canvas(demo_result, tmp_path, monkeypatch):
    """No figure is redrawn while it is built (geopandas' plotting drew each map 5-6 times)."""
    draws = []
    real = FigureCanvasAgg.draw

    def counting(self, *args, **kwargs):
        draws.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(FigureCanvasAgg, "draw", counting)
    figures.choropleth_png(
        demo_result.areas, "risk_index", tmp_path / "r.png", outline=demo_result.ward_boundaries
    )
    assert len(draws) == 1  # the save
    draws.clear()
    codes = list(demo_result.wards.index[:4])
    figures.ward_maps_png(
        demo_result.areas, "risk_index", {c: tmp_path / f"{c}.png" for c in codes}
    )
    assert len(draws) == 1  # the background, once for all four wards


def test_area_labels_are_drawn_as_written_never_as_maths():
    """Ward-map labels are glyph outlines of the text itself: a name with $...$ keeps its
    dollar signs and carets (maths would draw "x" with a raised "2" and no "$" or "^")."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.path import Path
    from matplotlib.textpath import text_to_path

    name = "$x^2$"
    drawn = figures._text_path(name, size=5.5)
    _, maths_codes = text_to_path.get_text_path(FontProperties(size=5.5), name, ismath=True)
    _, plain_codes = text_to_path.get_text_path(FontProperties(size=5.5), name, ismath=False)
    contours = int((np.asarray(drawn.codes) == Path.MOVETO).sum())
    assert contours == int((np.asarray(plain_codes) == Path.MOVETO).sum())
    assert contours > int((np.asarray(maths_codes) == Path.MOVETO).sum())


def test_map_classes_are_mapclassifys_without_importing_it(demo_result):
    """Quantile and equal-interval classes (bounds and each value's class) equal
    mapclassify's, on the demo's index, on ties and on skewed data; a map of them does not
    import mapclassify (about 2 s)."""
    import subprocess
    import sys

    import mapclassify

    from inclusion_geo._palette import equal_interval_classes, quantile_classes

    rng = np.random.default_rng(4)
    samples = [
        demo_result.areas["risk_index"].to_numpy(),
        np.array([1.0] * 8 + [2.0, 3.0]),
        rng.lognormal(size=500),
        np.round(rng.normal(size=300), 1),
    ]
    for y in samples:
        for k in (3, 5, 7):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # collapsed classes, both sides
                for ours, theirs in (
                    (quantile_classes(y, k), mapclassify.Quantiles(y, k=k)),
                    (equal_interval_classes(y, k), mapclassify.EqualInterval(y, k=k)),
                ):
                    np.testing.assert_allclose(ours.bins, theirs.bins, rtol=1e-12)
                    np.testing.assert_array_equal(ours.yb, theirs.yb)
    code = (
        "import sys, warnings; warnings.simplefilter('ignore')\n"
        "from inclusion_geo.pipeline import run_demo\n"
        "from inclusion_geo.report import build_map\n"
        "build_map(run_demo(permutations=0))\n"
        "assert 'mapclassify' not in sys.modules, 'mapclassify was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-1500:]
