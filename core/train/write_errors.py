"""A failed write during a run (disk full, permission denied, read-only folder, file-size limit) becomes one
message: what was being written, where, the free space there, the last complete checkpoint, and how to
continue. Checkpoints are written to a temporary folder first (checkpoints.py), so the last good one
survives; the half-written folder is removed so it does not hold on to the space that is left.
"""

from __future__ import annotations

import errno
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ftui.core.errors import UserError

# errno -> what it means for the user, and what to do about it.
WRITE_ERRNOS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the disk", "free some space"),
    errno.EDQUOT: ("the disk quota is used up", "free some space in your quota"),
    errno.EFBIG: ("a file-size limit stopped the write (ulimit -f)", "lift the limit (ulimit -f unlimited)"),
    errno.EACCES: ("permission denied", "make the folder writable for you"),
    errno.EPERM: ("operation not permitted", "make the folder writable for you"),
    errno.EROFS: ("the file system is read-only", "choose an output_dir on a writable disk"),
}
# How the same failures read when a library reports them without an OSError (torch's zip writer,
# safetensors' Rust IoError).
MESSAGE_ERRNOS = (
    ("no space left on device", errno.ENOSPC),
    ("storagefull", errno.ENOSPC),
    ("disk quota exceeded", errno.EDQUOT),
    ("file too large", errno.EFBIG),
    ("filetoolarge", errno.EFBIG),
    ("permission denied", errno.EACCES),
    ("read-only file system", errno.EROFS),
    ("readonlyfilesystem", errno.EROFS),
    ("file write failed", None),  # torch.save's PytorchStreamWriter: the cause is not in the message
)


class WriteFailed(UserError):
    """A write of the run's files failed; the message says what, where, free space and the way on."""


UNKNOWN_CAUSE = ("the write failed", "free some space or check the folder's permissions")


def write_cause(err: BaseException) -> tuple[str, str] | None:
    """(what went wrong, what to do) when `err` or what caused it is a failed write, else None."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in WRITE_ERRNOS:
            return WRITE_ERRNOS[current.errno]
        text = str(current).lower().replace(" ", "")
        for marker, code in MESSAGE_ERRNOS:
            if marker.replace(" ", "") in text:
                return WRITE_ERRNOS[code] if code is not None else UNKNOWN_CAUSE
        current = current.__cause__ or current.__context__
    return None


def free_space(where: Path) -> int | None:
    """Bytes free on the disk holding `where` (its nearest existing folder), None when unknown."""
    for folder in (where, *where.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free
            except OSError:
                return None
    return None


def write_failure(err: BaseException, what: str, where: Path, run_dir: Path) -> WriteFailed | None:
    """The one message for a failed write of `what` into `where`, or None when `err` is something else."""
    from ftui.core.metrics import format_bytes
    from ftui.core.train.checkpoints import checkpoint_step, last_checkpoint

    cause = write_cause(err)
    if cause is None:
        return None
    reason, action = cause
    free = free_space(where)
    last = last_checkpoint(run_dir)
    if last is not None:
        kept = f"the last complete checkpoint is {last} (step {checkpoint_step(str(last))})"
        next_step = "then continue from it with `ftui train CONFIG --resume`"
    else:
        kept = "no checkpoint was complete yet"
        next_step = "then run `ftui train CONFIG` again (`--resume` finds no checkpoint to continue from)"
    message = f"could not write {what} to {where}: {reason} ({format_bytes(free)} free there); {kept}"
    return WriteFailed(message, hint=f"{action}, {next_step}")


def file_write_error(err: OSError, what: str, where: Path, hint: str) -> UserError:
    """One message for a file ftui could not write outside a run (a saved config, ...): what, where, why,
    free space; the file that was there is untouched (every save is a temporary file and a rename)."""
    from ftui.core.metrics import format_bytes

    cause = write_cause(err)
    reason = cause[0] if cause else (err.strerror or str(err))
    return UserError(
        f"could not write {what} to {where}: {reason} ({format_bytes(free_space(where))} free there); "
        "nothing there was changed",
        hint=hint,
    )


WRITE_ONLY_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)  # never the cause of a failed read


def run_write_failure(err: BaseException, run_dir: Path) -> WriteFailed | None:
    """Any other write of the run refused (events, run files, trackers' logs): the same one message. A
    permission error counts only for a file inside the run folder (elsewhere it may be a failed read)."""
    cause = None if isinstance(err, UserError) else write_cause(err)
    if cause is None:
        return None
    oserror = _first_oserror(err)
    target = Path(oserror.filename) if oserror is not None and oserror.filename else None
    inside = target is not None and run_dir.resolve() in (target.resolve(), *target.resolve().parents)
    if oserror is None:  # a library's message: a permission error there may be a read
        accepted = cause != WRITE_ERRNOS[errno.EACCES]
    else:
        accepted = oserror.errno in WRITE_ONLY_ERRNOS or inside
    if not accepted:
        return None
    if target is None:
        return write_failure(err, "the run's files", run_dir, run_dir)
    return write_failure(err, target.name, target.parent, run_dir)


def _first_oserror(err: BaseException) -> OSError | None:
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError):
            return current
        current = current.__cause__ or current.__context__
    return None


@contextmanager
def reported_writes(what: str, where: Path, run_dir: Path, partial: Path | None = None) -> Iterator[None]:
    """Turn a failed write inside the block into `WriteFailed`, removing the `partial` folder first."""
    try:
        yield
    except BaseException as err:
        failure = write_failure(err, what, where, run_dir)
        if failure is None:
            raise
        if partial is not None:
            shutil.rmtree(partial, ignore_errors=True)
        raise failure from err


def file_size_limit_as_error() -> None:
    """Under `ulimit -f` the kernel kills a writer with SIGXFSZ; ignored, the write fails with EFBIG instead
    and the run ends with the message above (not a core dump)."""
    if hasattr(signal, "SIGXFSZ"):
        try:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        except (ValueError, OSError):  # not the main thread: leave it
            pass
