"""A run never loses the user's files: reruns keep what the user added, the swap is
all-or-nothing, one run per folder, killed runs are tidied, bad ``--out`` refused up front."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import inclusion_geo._output as output
from inclusion_geo._errors import InclusionGeoError
from inclusion_geo._output import OUTPUT_MARKER, check_out_dir, claim_output, staged_output
from inclusion_geo.cli import main
from tests.hostile import hostile_names

REPO = Path(__file__).resolve().parents[1]


def _write(folder: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (but the marker) and its text."""
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != OUTPUT_MARKER
    }


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir())


def _run(out: Path, files: dict[str, str]) -> None:
    with staged_output(out) as tmp:
        _write(tmp, files)


def _file_names(n: int) -> list[str]:
    """Hostile strings as file names (a name cannot hold "/" or NUL)."""
    names = [h.replace("/", "_").replace("\x00", "_")[:80] for h in hostile_names(n)]
    return [n.lstrip(".") or "_" for n in names]


# --- 1. a rerun keeps what the user added ---------------------------------------------------


def test_rerun_keeps_the_users_files_and_drops_only_our_own(tmp_path):
    out = tmp_path / "out"
    _run(out, {"map.html": "v1", "summary.md": "v1", "E08000035/map.html": "v1", "old.csv": "v1"})
    user = {
        "notes.docx": "my notes",
        "E08000035/comments.txt": "ward comments",
        "my folder/plan.xlsx": "plan",
    }
    user |= {f"{name}.txt": name for name in _file_names(8)}
    _write(out, user)
    (out / "empty folder").mkdir()
    (out / "summary.md").write_text("edited by the analyst")
    with pytest.warns(UserWarning, match="nothing of yours was removed") as caught:
        _run(out, {"map.html": "v2", "summary.md": "v2"})
    message = str(caught[0].message)
    assert "notes.docx" in message and "summary.md (now summary.yours.md)" in message
    tree = _tree(out)
    for rel, text in user.items():
        assert tree[rel] == text  # kept, unchanged, in the same place
    assert tree["summary.yours.md"] == "edited by the analyst"
    assert tree["map.html"] == "v2" and tree["summary.md"] == "v2"
    # ours and not written again: gone
    assert "old.csv" not in tree and "E08000035/map.html" not in tree
    assert (out / "empty folder").is_dir()
    assert _siblings(out) == ["out"]  # no staging, backup or lock left
    # the manifest lists only what this run wrote: the user's files stay the user's
    marker = (out / OUTPUT_MARKER).read_text()
    assert marker.startswith("written by inclusion-geo")
    assert sorted(json.loads(marker.split("\n", 1)[1])["files"]) == ["map.html", "summary.md"]
    with pytest.warns(UserWarning, match="notes.docx"):
        _run(out, {"map.html": "v3"})
    assert {k: v for k, v in _tree(out).items() if k in user} == user
    assert (
        "summary.md" not in _tree(out) and _tree(out)["summary.yours.md"] == "edited by the analyst"
    )


def test_rerun_without_user_files_is_silent(tmp_path, recwarn):
    out = tmp_path / "out"
    _run(out, {"a.csv": "1", "sub/b.csv": "2"})
    _run(out, {"a.csv": "3"})
    assert _tree(out) == {"a.csv": "3"} and not recwarn.list


def test_an_older_marker_keeps_every_file_the_new_run_does_not_rewrite(tmp_path):
    out = tmp_path / "out"
    _write(out, {"map.html": "old", "notes.txt": "mine", "E08000035/map.html": "old"})
    (out / OUTPUT_MARKER).write_text("written by inclusion-geo\n")  # before manifests
    with pytest.warns(UserWarning, match="notes.txt"):
        _run(out, {"map.html": "new"})
    assert _tree(out) == {"map.html": "new", "notes.txt": "mine", "E08000035/map.html": "old"}


def test_a_symlink_the_user_put_in_the_output_is_kept_not_followed(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    _write(elsewhere, {"precious.txt": "keep"})
    _run(out, {"map.html": "v1"})
    (out / "link").symlink_to(elsewhere)
    (out / "map.html").unlink()
    (out / "map.html").symlink_to(elsewhere / "precious.txt")  # our file, replaced by a link
    with pytest.warns(UserWarning, match="link"):
        _run(out, {"map.html": "v2"})
    assert (out / "link").is_symlink() and (out / "map.yours.html").is_symlink()
    assert (out / "map.html").read_text() == "v2"
    assert _tree(elsewhere) == {"precious.txt": "keep"}


# --- 2. the swap is all-or-nothing ----------------------------------------------------------


def _failing_rename(monkeypatch, when):
    real = os.rename

    def rename(src, dst, *args, **kwargs):
        if when(Path(src), Path(dst)):
            raise PermissionError(13, "Permission denied (test)", str(dst))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "rename", rename)


@pytest.mark.parametrize(
    "step",
    [
        "earlier output -> backup",
        "new output -> place",
        "user's file -> new output",
    ],
)
def test_a_failed_swap_leaves_the_earlier_output_intact(tmp_path, monkeypatch, step):
    out = tmp_path / "out"
    _run(out, {"map.html": "v1", "sub/a.csv": "v1"})
    _write(out, {"notes.docx": "mine", "sub/z.txt": "mine too"})
    before = _tree(out)
    when = {
        "earlier output -> backup": lambda s, d: s == out,
        "new output -> place": lambda s, d: d == out and ".tmp-" in s.name,
        "user's file -> new output": lambda s, d: s.name == "z.txt",
    }[step]
    _failing_rename(monkeypatch, when)
    with pytest.raises(PermissionError):
        _run(out, {"map.html": "v2"})
    monkeypatch.undo()
    assert _tree(out) == before
    assert _siblings(out) == ["out"]


def test_a_backup_that_cannot_be_removed_is_said_and_tidied_next_time(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _run(out, {"map.html": "v1", "sub/a.csv": "v1"})
    real = output.shutil.rmtree

    def rmtree(path, *args, **kwargs):
        if ".old-" in str(path):
            raise PermissionError(13, "Permission denied (test)", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(output.shutil, "rmtree", rmtree)
    with pytest.warns(UserWarning, match="could not be removed"):
        _run(out, {"map.html": "v2"})
    monkeypatch.undo()
    assert _tree(out) == {"map.html": "v2"}
    assert any(".out.old-" in name for name in _siblings(out))
    with pytest.warns(UserWarning, match=r"removed \.out\.old-"):
        _run(out, {"map.html": "v3"})
    assert _siblings(out) == ["out"] and _tree(out) == {"map.html": "v3"}


# --- 3. one run per folder, 4. killed runs tidied ---------------------------------------------

_HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from inclusion_geo._output import staged_output

    out, ready = Path(sys.argv[1]), Path(sys.argv[2])
    with staged_output(out) as tmp:
        (tmp / "half.csv").write_text("half")
        ready.write_text("ready")
        time.sleep(120)
    """
)


def _start(script: str, *args: str, ready: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"helper process did not start: {proc.communicate()}")
        time.sleep(0.05)
    return proc


def test_a_second_run_into_the_same_folder_fails_at_once_then_tidies_a_killed_one(tmp_path):
    out, ready = tmp_path / "w" / "out", tmp_path / "ready"
    _run(out, {"map.html": "v1"})
    _write(out, {"notes.docx": "mine"})
    first = _start(_HOLDER, str(out), str(ready), ready=ready)
    try:
        start = time.monotonic()
        with pytest.raises(InclusionGeoError) as exc:
            _run(out, {"map.html": "second"})
        assert time.monotonic() - start < 5
        assert str(exc.value) == (
            f"another inclusion-geo run is writing to {out} (pid {first.pid}); wait for it or "
            "choose another folder."
        )
        # the CLI says the same, before doing any work
        assert main(["run", "--out", str(out)]) == 1
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate()
    staging = [name for name in _siblings(out) if ".tmp-" in name]
    assert staging and staging[0].startswith(f".out.tmp-{first.pid}-")
    # look-alikes that are not ours stay: no marker, or another output's name
    (out.parent / ".out.tmp-1-0000abcd").mkdir()
    (out.parent / ".out.tmp-1-0000abcd" / "thesis.docx").write_text("not ours")
    (out.parent / ".out.tmp-2-0000abcd").mkdir()
    (out.parent / ".out.tmp-2-0000abcd" / OUTPUT_MARKER).write_text(
        'written by inclusion-geo\n{"out": "other", "state": "staging"}'
    )
    with pytest.warns(UserWarning) as caught:
        _run(out, {"map.html": "v2"})
    said = [str(w.message) for w in caught]
    assert f"stopped before it finished; removed {staging[0]} (in {out.parent})" in said[0]
    assert "1 kept where they were: notes.docx" in said[1] and len(said) == 2
    assert _siblings(out) == [".out.tmp-1-0000abcd", ".out.tmp-2-0000abcd", "out"]
    assert _tree(out) == {"map.html": "v2", "notes.docx": "mine"}


def test_nested_claims_in_one_process_share_the_lock(tmp_path):
    out = tmp_path / "new" / "deeper" / "out"
    with claim_output(out):
        assert (tmp_path / "new" / "deeper" / ".out.lock").exists()
        _run(out, {"a.csv": "1"})
    assert _siblings(out) == ["out"]
    with claim_output(tmp_path / "never" / "written"):
        pass
    assert not (tmp_path / "never").exists()  # folders made for the lock are removed again


def test_a_run_killed_mid_swap_gets_its_earlier_output_back(tmp_path):
    out = tmp_path / "out"
    _run(out, {"map.html": "v1"})
    _write(out, {"notes.docx": "mine"})
    # killed between "earlier output -> backup" and "new output -> place"
    os.rename(out, tmp_path / ".out.old-4242-0badcafe")
    with claim_output(tmp_path / "elsewhere"):  # another output's claim leaves it alone
        pass
    assert not out.exists()
    with pytest.warns(UserWarning) as caught:
        _run(out, {"map.html": "v2"})
    assert "put the earlier output back from .out.old-4242-0badcafe" in str(caught[0].message)
    assert _tree(out) == {"map.html": "v2", "notes.docx": "mine"}
    # killed after "new output -> place", before the user's files were carried over
    os.rename(out, tmp_path / ".out.old-4243-0badcafe")
    _run(tmp_path / "new", {"map.html": "v3"})
    os.rename(tmp_path / "new", out)
    with pytest.warns(UserWarning) as caught, claim_output(out):
        pass
    assert "removed .out.old-4243-0badcafe (after moving your 1 file(s) from it into out)" in str(
        caught[0].message
    )
    assert _tree(out) == {"map.html": "v3", "notes.docx": "mine"}
    assert _siblings(out) == ["out"]


# --- 4./5. SIGTERM and Ctrl-C: one line, nothing written, staging removed --------------------

_CLI = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import inclusion_geo.pipeline as pipeline
    import inclusion_geo.report as report
    from inclusion_geo._output import staged_output
    from inclusion_geo.cli import main

    ready = Path(sys.argv[1])

    def slow_write(result, out_dir, **kwargs):
        with staged_output(out_dir) as tmp:
            (tmp / "map.html").write_text("half")
            ready.write_text("ready")
            time.sleep(120)

    pipeline.run_demo = lambda **kwargs: None
    pipeline.with_plans = lambda result, **kwargs: result
    report.write_outputs = slow_write
    sys.exit(main(["run", "--out", sys.argv[2]]))
    """
)


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_run_ends_in_one_line_and_leaves_nothing(tmp_path, sig, code):
    out, ready = tmp_path / "w" / "out", tmp_path / "ready"
    _run(out, {"map.html": "earlier"})
    proc = _start(_CLI, str(ready), str(out), ready=ready)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code
    how = "interrupted" if sig == signal.SIGINT else "stopped (SIGTERM)"
    # the stage lines shown so far, then one line that says what happened; no traceback
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == (
        f"inclusion-geo: {how}; nothing was written to {out} (earlier outputs are unchanged)"
    )
    assert _tree(out) == {"map.html": "earlier"} and _siblings(out) == ["out"]


def test_ctrl_c_in_process_returns_130(tmp_path, monkeypatch, capsys):
    import inclusion_geo.pipeline as pipeline

    def interrupted(**kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run_demo", interrupted)
    out = tmp_path / "out"
    assert main(["run", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == (
        f"inclusion-geo: interrupted; nothing was written to {out} (earlier outputs are unchanged)"
    )
    assert list(tmp_path.iterdir()) == []


# --- 6. a bad --out is refused before any work ---------------------------------------------


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if the run starts loading or computing."""
    import inclusion_geo.pipeline as pipeline

    def forbidden(*args, **kwargs):
        raise AssertionError("the run started before --out was checked")

    monkeypatch.setattr(pipeline, "run_demo", forbidden)


def _bad_outs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "dangling_parent").symlink_to(tmp_path / "missing")
    return {
        "symlink": (tmp_path / "link", f"is a symbolic link (to {real})"),
        "dangling symlink": (tmp_path / "dangling", "which does not exist"),
        "parent is a file": (tmp_path / "afile" / "out", f"{tmp_path / 'afile'} is a file"),
        "grandparent is a file": (tmp_path / "afile" / "a" / "b", "is a file, not a folder"),
        "parent is a dangling link": (tmp_path / "dangling_parent" / "out", "link to nothing"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "symlink",
        "dangling symlink",
        "parent is a file",
        "grandparent is a file",
        "parent is a dangling link",
    ],
)
def test_a_bad_out_is_refused_up_front(tmp_path, capsys, no_work, case):
    out, says = _bad_outs(tmp_path)[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["run", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("inclusion-geo: error: --out") and says in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    with pytest.raises(InclusionGeoError, match="--out"):
        check_out_dir(out)


def test_an_unwritable_place_is_refused_up_front(tmp_path, monkeypatch, capsys, no_work):
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode, **k: False if Path(p) == locked else real_access(p, mode, **k)
    )
    assert main(["run", "--out", str(locked / "new" / "out")]) == 1
    assert f"cannot write in {locked}" in capsys.readouterr().err
    assert list(locked.iterdir()) == []


def test_the_national_run_checks_out_before_loading(tmp_path):
    (tmp_path / "link").symlink_to(tmp_path)
    # the config does not exist: the --out check must come first
    with pytest.raises(InclusionGeoError, match="is a symbolic link"):
        from inclusion_geo.national import run_national

        run_national(tmp_path / "missing.toml", tmp_path / "link")
    with claim_output(tmp_path / "busy"):
        pass
    held = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path / "busy"), str(tmp_path / "ready")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        while not (tmp_path / "ready").exists():
            assert held.poll() is None, held.communicate()
            time.sleep(0.05)
        with pytest.raises(InclusionGeoError, match="another inclusion-geo run"):
            run_national(tmp_path / "missing.toml", tmp_path / "busy")
    finally:
        held.terminate()
        held.communicate()


def test_ctrl_c_during_the_swap_waits_until_it_is_done(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _run(out, {"map.html": "v1"})
    _write(out, {"notes.docx": "mine"})
    real = output._carry

    def carry_interrupted(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C between "new -> place" and the carry
        os.kill(os.getpid(), signal.SIGTERM)
        return real(*args, **kwargs)

    monkeypatch.setattr(output, "_carry", carry_interrupted)
    with pytest.warns(UserWarning, match="notes.docx"):
        _run(out, {"map.html": "v2"})
    assert _tree(out) == {"map.html": "v2", "notes.docx": "mine"} and _siblings(out) == ["out"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
