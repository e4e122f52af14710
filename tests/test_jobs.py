"""Worker processes that write a run's outputs (inclusion_geo._jobs): results, errors and
warnings come back to the main process; a dead worker's job is done here instead."""

from __future__ import annotations

import multiprocessing
import os
import warnings

import pytest

from inclusion_geo._errors import InclusionGeoError
from inclusion_geo._jobs import close_pool, start_pool, submit
from inclusion_geo.cli import main


def _warn_and_add(a: int, b: int) -> int:
    warnings.warn(f"caveat from pid {os.getpid()}", UserWarning, stacklevel=1)
    return a + b


def _fail() -> None:
    raise InclusionGeoError("ward file covers nothing")


def _die_in_a_worker() -> str:
    if multiprocessing.parent_process() is not None:
        os._exit(3)
    return "done here"


@pytest.fixture(scope="module")
def pool():
    pool = start_pool(1)
    yield pool
    close_pool(pool)


def test_a_jobs_value_and_warnings_come_back(pool):
    job = submit(pool, _warn_and_add, 2, b=3)
    with pytest.warns(UserWarning, match="caveat from pid") as caught:
        assert job.result() == 5
    assert f"pid {os.getpid()}" not in str(caught[0].message)  # it ran in the worker


def test_a_jobs_error_is_raised_in_the_main_process(pool):
    job = submit(pool, _fail)
    job.wait()  # waiting does not raise
    with pytest.raises(InclusionGeoError, match="ward file covers nothing"):
        job.result()


def test_without_a_pool_the_job_runs_here_at_once():
    with pytest.warns(UserWarning, match=f"caveat from pid {os.getpid()}"):
        job = submit(None, _warn_and_add, 1, 1)
    assert job.result() == 2


def test_a_dead_workers_job_is_done_in_this_process_with_a_warning():
    pool = start_pool(1)
    try:
        job = submit(pool, _die_in_a_worker)
        with pytest.warns(UserWarning, match="process stopped.*in this process instead"):
            assert job.result() == "done here"
        # the pool is broken now: later jobs run here
        with pytest.warns(UserWarning, match=f"caveat from pid {os.getpid()}"):
            assert submit(pool, _warn_and_add, 1, 2).result() == 3
    finally:
        close_pool(pool)


def test_a_failed_run_stops_its_workers(tmp_path, capsys):
    """A run that fails after its workers started leaves no process behind."""
    config = tmp_path / "bad.toml"
    config.write_text(
        '[area]\ncode = "E08000035"\nname = "Leeds"\n[sources.boundaries]\npath = "missing.json"\n'
        "[output]\nworkers = 3\n"
    )
    before = set(multiprocessing.active_children())
    assert main(["run", "--config", str(config), "--out", str(tmp_path / "out")]) == 1
    assert "missing.json" in capsys.readouterr().err
    assert not set(multiprocessing.active_children()) - before


def test_an_interrupted_write_stops_the_worker_and_leaves_nothing(
    demo_result, tmp_path, monkeypatch
):
    """Ctrl-C (or SIGTERM) while this process writes the tables: the worker drawing the ward
    pages is stopped at once rather than waited for, and no staging folder is left."""
    import inclusion_geo.report as report

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "write_tables", interrupted)
    pool = start_pool(1)
    try:
        processes = list(pool._processes.values()) if pool._processes else []
        with pytest.raises(KeyboardInterrupt):
            report.write_outputs(demo_result, tmp_path / "out", pool=pool)
        assert processes and not any(p.is_alive() for p in processes)
    finally:
        close_pool(pool)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
