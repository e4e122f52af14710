"""Output folders that never lose the user's files.

Every run writes into a hidden staging folder beside ``--out`` (``.<name>.tmp-<pid>-<token>``)
and moves it into place only when complete. The guarantees (also in ``docs/security.md``):

- **Only our own files are ever replaced.** Each output folder holds a marker file
  (:data:`OUTPUT_MARKER`) listing every file the run wrote, with its size and SHA-256. On a
  rerun into the same folder, anything not in that list, or changed since it was written, is
  the user's: it is *kept*, moved unchanged into the new output at the same place (a council
  analyst who saved notes or an annotated spreadsheet in the output folder expects to find
  them there after a rerun; refusing would only make them move the files by hand). If the new
  run writes a file of the same name, the user's copy is kept beside it as
  ``<stem>.yours<suffix>``. A ``UserWarning`` names every file kept. Files of the list that the
  new run does not write again were ours and go.
- **Replacing is all-or-nothing.** The earlier output is renamed to a backup beside it
  (``.<name>.old-<pid>-<token>``), the new one renamed into place, the user's files carried
  over, then the backup deleted. A failure at any step puts the earlier output back.
- **One run per folder.** An exclusive, non-blocking lock (``fcntl.flock`` on
  ``.<name>.lock`` beside the folder) is held from the up-front check to the final move; a
  second run into the same folder stops at once, naming the first run's process id.
- **Nothing is left behind for good.** A run killed outright (SIGKILL, power cut) leaves its
  staging folder; the next run into that folder removes it (or, if the kill came mid-swap,
  puts the earlier output back) and says so in a ``UserWarning``. Only folders with our naming
  *and* our marker naming this output are ever removed.
- **Bad places are refused before any work.** A symbolic link as ``--out`` (dangling or not) is
  refused rather than followed, because the folder at that path is replaced; so is a path under
  a file, an unwritable place, or a folder of someone else's files.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import stat
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ._errors import InclusionGeoError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["OUTPUT_MARKER", "check_out_dir", "claim_output", "staged_output"]

OUTPUT_MARKER = ".inclusion-geo-output"
_MARKER_HEAD = "written by inclusion-geo"
_TOKEN = "[0-9a-f]{8}"
_HELD: dict[str, int] = {}  # output folders this process has claimed, and how many times
_HELD_LOCK = threading.Lock()


def _absolute(out: str | Path) -> Path:
    return Path(out).expanduser().absolute()


def check_out_dir(out: str | Path) -> None:
    """Refuse an output folder that a run could not safely write to, before any work is done.

    Parameters
    ----------
    out
        The output folder (``--out``). It may be new, empty, or a folder of earlier
        inclusion-geo outputs (the user's own files in it are kept, see the module docstring).

    Raises
    ------
    InclusionGeoError
        ``out`` is a symbolic link (dangling or not: links are not followed, because the folder
        at that path is replaced), a file, a path under a file, a place this user cannot write
        to, or a folder holding files that inclusion-geo did not write.

    Example
    -------
    >>> import tempfile
    >>> check_out_dir(Path(tempfile.mkdtemp()) / "outputs")
    """
    out = _absolute(out)
    if out.name in ("", ".", ".."):
        raise InclusionGeoError(
            f"--out {out}: give the output folder a name (e.g. --out {out / 'outputs'})."
        )
    if out.is_symlink():
        target = _shown(os.readlink(out))
        where = out.resolve()
        state = "" if out.exists() else ", which does not exist"
        raise InclusionGeoError(
            f"--out {out} is a symbolic link (to {target}{state}). inclusion-geo replaces the "
            "folder it writes to, so it does not follow links: give the real folder instead, "
            f"e.g. --out {where}."
        )
    if out.exists() and not out.is_dir():
        raise InclusionGeoError(f"--out {out} is a file, not a folder. Choose a folder path.")
    probe = out.parent
    while not os.path.lexists(probe) and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        what = "a symbolic link to nothing" if probe.is_symlink() else "a file"
        raise InclusionGeoError(
            f"--out {out}: {probe} is {what}, not a folder, so {out} cannot be made there. "
            "Choose a path whose folders are folders."
        )
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InclusionGeoError(
            f"--out {out}: cannot write in {probe}. Choose a folder you can write to."
        )
    if out.is_dir():
        contents = sorted(_shown(p.name) for p in out.iterdir())
        if contents and _read_marker(out) is None:
            raise InclusionGeoError(
                f"--out {out} already holds {len(contents)} file(s) that inclusion-geo did not "
                "write (e.g. " + ", ".join(contents[:3]) + "). Choose an empty or new folder; "
                "a folder of earlier inclusion-geo outputs is replaced (files you added to it "
                "are kept)."
            )


@contextmanager
def claim_output(out: str | Path) -> Iterator[Path]:
    """Check ``out`` and lock it for this process for the whole block.

    The lock is an exclusive ``flock`` on ``.<name>.lock`` beside the folder, so a second run
    into the same folder (from any process) fails at once. Staging folders left by runs that
    were killed are cleaned up under the lock. Nested claims of one folder by the same process
    share the lock (:func:`staged_output` claims the folder too).

    Parameters
    ----------
    out
        The output folder.

    Yields
    ------
    Path
        ``out``, made absolute.

    Raises
    ------
    InclusionGeoError
        ``out`` fails :func:`check_out_dir`, or another run holds it.
    """
    out = _absolute(out)
    key = f"{os.getpid()}:{out}"  # a forked child does not hold its parent's lock
    with _HELD_LOCK:
        nested = key in _HELD
        if nested:
            _HELD[key] += 1
    if nested:
        try:
            yield out
        finally:
            with _HELD_LOCK:
                _HELD[key] -= 1
        return
    check_out_dir(out)
    created = _make_parents(out)
    try:
        lock = _Lock(out)
    except BaseException:
        _remove_empty(created)
        raise
    with _HELD_LOCK:
        _HELD[key] = 1
    try:
        check_out_dir(out)  # again, now that no other run can change it
        _clean_stale(out)
        yield out
    finally:
        with _HELD_LOCK:
            _HELD.pop(key, None)
        lock.release()
        if not os.path.lexists(out):
            _remove_empty(created)


@contextmanager
def staged_output(out_dir: str | Path) -> Iterator[Path]:
    """A staging folder beside ``out_dir`` that replaces it only if the block succeeds.

    ``out_dir`` is claimed first (:func:`claim_output`: checked and locked). On success the
    staging folder gets the marker listing every file written and is swapped into place
    (the user's own files in an earlier output are carried over); on any failure, Ctrl-C
    included, it is removed and an earlier output is left exactly as it was. Ctrl-C or SIGTERM
    during the swap itself (milliseconds) wait until the swap is done.

    Parameters
    ----------
    out_dir
        The output folder.

    Yields
    ------
    Path
        The staging folder to write into.

    Raises
    ------
    InclusionGeoError
        ``out_dir`` cannot be used (see :func:`check_out_dir`), is in use by another run, or
        gained someone else's files during the run.

    Example
    -------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "outputs"
    >>> with staged_output(out) as tmp:
    ...     _ = (tmp / "notes.txt").write_text("hello")
    >>> (out / "notes.txt").read_text()
    'hello'
    """
    out = _absolute(out_dir)
    with claim_output(out):
        tmp = _make_staging(out)
        try:
            yield tmp
            with _signals_deferred():
                _commit(tmp, out)
        except BaseException:
            if os.path.lexists(tmp):
                shutil.rmtree(tmp, ignore_errors=True)
            raise


# --- the lock ------------------------------------------------------------------------------


class _Lock:
    """An exclusive, non-blocking lock on ``.<name>.lock`` beside ``out``; removed on release."""

    def __init__(self, out: Path) -> None:
        self.path = out.parent / f".{out.name}.lock"
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        for _ in range(10):
            try:
                fd = os.open(self.path, flags, 0o644)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise InclusionGeoError(
                        f"{self.path} is a symbolic link; inclusion-geo locks --out {out} with "
                        "a file of that name. Remove the link and run again."
                    ) from None
                raise InclusionGeoError(
                    f"--out {out}: cannot write in {out.parent} ({exc.strerror}). Choose a "
                    "folder you can write to."
                ) from None
            if not _try_lock(fd):
                os.lseek(fd, 0, os.SEEK_SET)
                pid = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise InclusionGeoError(
                    f"another inclusion-geo run is writing to {out} (pid {pid}); wait for it or "
                    "choose another folder."
                )
            try:  # the file may have been removed by a run that just finished: lock the new one
                same = os.path.samestat(os.fstat(fd), os.stat(self.path, follow_symlinks=False))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        else:  # pragma: no cover - ten runs finishing in the same instant
            raise InclusionGeoError(f"could not lock {self.path}; run again.")
        self.fd = fd
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))

    def release(self) -> None:
        if fcntl is not None:  # unlinking while still holding the lock is safe (see __init__)
            try:
                if os.path.samestat(os.fstat(self.fd), os.stat(self.path, follow_symlinks=False)):
                    os.unlink(self.path)
            except OSError:
                pass
        os.close(self.fd)


def _try_lock(fd: int) -> bool:
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    import msvcrt  # pragma: no cover - Windows

    try:  # pragma: no cover
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:  # pragma: no cover
        return False
    return True  # pragma: no cover


# --- folders -------------------------------------------------------------------------------


def _make_parents(out: Path) -> list[Path]:
    """Create the folders above ``out``; return those created, deepest last."""
    missing = []
    probe = out.parent
    while not os.path.lexists(probe):
        missing.append(probe)
        probe = probe.parent
    created = []
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            _remove_empty(created)
            raise InclusionGeoError(
                f"--out {out}: cannot create {folder} ({exc.strerror}). Choose a folder you can "
                "write to."
            ) from None
        created.append(folder)
    return created


def _remove_empty(created: list[Path]) -> None:
    for folder in reversed(created):
        try:
            folder.rmdir()
        except OSError:
            return


def _make_staging(out: Path) -> Path:
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    _write_marker(tmp, {"out": out.name, "state": "staging", "pid": os.getpid()})
    return tmp


def _read_marker(folder: Path) -> dict | None:
    """The marker of ``folder``: ``None`` if it is not ours; ``files`` is ``None`` when the
    marker lists no files (written by an older version, or damaged)."""
    path = folder / OUTPUT_MARKER
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if not text.startswith(_MARKER_HEAD):
        return None
    try:
        info = json.loads(text.split("\n", 1)[1])
    except (IndexError, ValueError):
        info = None
    if not isinstance(info, dict):
        return {"files": None}
    files = info.get("files")
    ok = isinstance(files, dict) and all(isinstance(v, dict) for v in files.values())
    return {**info, "files": files if ok else None}


def _write_marker(folder: Path, info: dict) -> None:
    text = f"{_MARKER_HEAD}; the files it wrote (do not edit):\n" + json.dumps(info, indent=1)
    (folder / OUTPUT_MARKER).write_text(text + "\n", encoding="utf-8")


def _manifest(folder: Path) -> dict[str, dict]:
    """Every regular file under ``folder`` (but its marker): relative path -> size and hash."""
    files = {}
    for path, rel in _walk_files(folder):
        if rel != OUTPUT_MARKER:
            files[rel] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    return files


def _walk_files(folder: Path, prefix: str = "") -> Iterator[tuple[Path, str]]:
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            rel = f"{prefix}{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                yield from _walk_files(Path(entry.path), rel + "/")
            elif entry.is_file(follow_symlinks=False):
                yield Path(entry.path), rel


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _unchanged(path: Path, record: dict) -> bool:
    """``path`` is still the file the run wrote (same size and hash, not replaced by a link)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_size != record.get("size"):
        return False
    return _sha256(path) == record.get("sha256")


def _remove_ours(folder: Path) -> None:
    """Remove a folder of our own files, its marker last (so a half-removed one is still ours)."""
    with os.scandir(folder) as entries:
        children = [Path(e.path) for e in entries if e.name != OUTPUT_MARKER]
    for child in children:
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    (folder / OUTPUT_MARKER).unlink(missing_ok=True)
    folder.rmdir()


# --- the swap ------------------------------------------------------------------------------


def _commit(tmp: Path, out: Path) -> None:
    """Mark ``tmp`` with its manifest and swap it into ``out``, keeping the user's files."""
    _write_marker(tmp, {"out": out.name, "state": "complete", "files": _manifest(tmp)})
    if not os.path.lexists(out):
        os.rename(tmp, out)
        return
    old = _read_marker(out)
    if old is None:  # an empty folder of the user's (checked up front); rename replaces it
        try:
            os.rename(tmp, out)
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
            names = sorted(p.name for p in out.iterdir())[:3]
            raise InclusionGeoError(
                f"--out {out} was empty when the run started but now holds files that "
                f"inclusion-geo did not write (e.g. {', '.join(names)}); nothing was changed. "
                "Move them or choose another folder."
            ) from None
        return
    backup = out.parent / f".{out.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
    os.rename(out, backup)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(backup, out)
        raise
    moved: list[tuple[Path, Path]] = []
    try:
        kept = _carry(backup, out, old["files"], moved)
    except BaseException:
        for src, dst in reversed(moved):
            os.rename(dst, src)
        os.rename(out, tmp)
        os.rename(backup, out)
        raise
    if kept:
        _warn_kept(out, kept)
    try:
        _remove_ours(backup)
    except OSError as exc:
        warnings.warn(
            f"The new output is in {out}, but the earlier one (only files inclusion-geo wrote) "
            f"could not be removed from {backup}: {exc}. Delete it when you can; the next run "
            "into this folder also removes it.",
            UserWarning,
            stacklevel=4,
        )


def _carry(
    src: Path, dst: Path, files: dict | None, moved: list, prefix: str = ""
) -> list[tuple[str, str]]:
    """Move everything in ``src`` that is not an unchanged file of ``files`` into ``dst``.

    ``files`` ``None`` (a marker without a list) means: what the new run wrote again was ours,
    anything else may be the user's and is kept. Returns ``(was, now)`` relative paths; each
    move is appended to ``moved`` so that a failure can undo them.
    """
    ours_dirs = {p.rsplit("/", n)[0] for p in files or {} for n in range(1, p.count("/") + 1)}
    kept = []
    with os.scandir(src) as entries:
        names = sorted(e.name for e in entries)
    for name in names:
        rel = f"{prefix}{name}"
        if rel == OUTPUT_MARKER:
            continue
        here, there = src / name, dst / name
        is_dir = here.is_dir() and not here.is_symlink()
        if is_dir and (rel in ours_dirs or (there.is_dir() and not there.is_symlink())):
            kept += _carry(here, there, files, moved, rel + "/")
            continue
        if not is_dir:
            if files is not None and rel in files and _unchanged(here, files[rel]):
                continue  # ours, as we wrote it
            if files is None and os.path.lexists(there):
                continue  # an older marker: what the new run wrote again was ours
        if os.path.lexists(there):
            there = _free_name(there)
        there.parent.mkdir(parents=True, exist_ok=True)
        os.rename(here, there)
        moved.append((here, there))
        kept.append((rel, f"{prefix}{there.name}"))
    return kept


def _free_name(path: Path) -> Path:
    """``map.yours.html``, ``map.yours-2.html``, …: a name beside ``path`` that is not taken."""
    stem, suffix = (path.stem, path.suffix) if path.is_file() else (path.name, "")
    for n in range(1, 1000):
        candidate = path.with_name(f"{stem}.yours{'' if n == 1 else f'-{n}'}{suffix}")
        if not os.path.lexists(candidate):
            return candidate
    raise InclusionGeoError(f"too many kept copies of {path}; tidy the folder and run again.")


def _shown(name: str) -> str:
    """A file name as it can be shown on a terminal: control and bidi characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)


def _warn_kept(out: Path, kept: list[tuple[str, str]]) -> None:
    renamed = [f"{_shown(was)} (now {_shown(now)})" for was, now in kept if was != now]
    same = [_shown(was) for was, now in kept if was == now]
    parts = []
    if same:
        parts.append(f"{len(same)} kept where they were: " + ", ".join(same[:20]))
    if renamed:
        parts.append(
            f"{len(renamed)} changed since inclusion-geo wrote them and written again by this "
            "run, so your copies are kept beside the new ones: " + ", ".join(renamed[:20])
        )
    more = " …" if len(same) > 20 or len(renamed) > 20 else ""
    warnings.warn(
        f"{out}: the earlier output held files that inclusion-geo did not write or that were "
        f"changed after it wrote them; nothing of yours was removed. {'; '.join(parts)}{more}.",
        UserWarning,
        stacklevel=5,
    )


# --- runs that were killed -----------------------------------------------------------------


def _clean_stale(out: Path) -> None:
    """Under the lock: remove staging folders of ``out`` left by killed runs, and finish a swap
    that was killed half-way (put the earlier output back, or carry the user's files over)."""
    staging = re.compile(rf"\.{re.escape(out.name)}\.tmp-\d+-{_TOKEN}")
    backup = re.compile(rf"\.{re.escape(out.name)}\.old-\d+-{_TOKEN}")
    removed, restored = [], []
    with os.scandir(out.parent) as entries:
        found = sorted(
            Path(e.path)
            for e in entries
            if e.is_dir(follow_symlinks=False)
            and (staging.fullmatch(e.name) or backup.fullmatch(e.name))
        )
    for folder in found:
        info = _read_marker(folder)
        if info is None:
            if not any(folder.iterdir()):
                folder.rmdir()  # an empty folder of our naming: nothing to lose
            continue
        if staging.fullmatch(folder.name):
            if info.get("out") == out.name:
                _remove_ours(folder)
                removed.append(folder.name)
        elif info.get("out", out.name) == out.name:
            if os.path.lexists(out):
                moved: list = []
                kept = _carry(folder, out, info["files"], moved)
                _remove_ours(folder)
                removed.append(folder.name)
                if kept:
                    removed[-1] += (
                        f" (after moving your {len(kept)} file(s) from it into {out.name})"
                    )
            else:
                os.rename(folder, out)
                restored.append(folder.name)
    if removed or restored:
        said = []
        if removed:
            said.append("removed " + ", ".join(removed))
        if restored:
            said.append(f"put the earlier output back from {', '.join(restored)}")
        warnings.warn(
            f"An earlier inclusion-geo run into {out} was stopped before it finished; "
            f"{' and '.join(said)} (in {out.parent}).",
            UserWarning,
            stacklevel=4,
        )


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back until the block is done (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    names = [s for s in ("SIGINT", "SIGTERM") if hasattr(signal, s)]
    previous = {}
    for name in names:
        sig = getattr(signal, name)
        if signal.getsignal(sig) is not None:  # None: a handler not set from Python; leave it
            previous[sig] = signal.signal(sig, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    # the swap finished: the output is complete, so a stop asked for meanwhile has nothing
    # left to stop; it is not raised (a caller would report "nothing was written")
