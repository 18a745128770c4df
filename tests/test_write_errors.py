"""Writes that fail during a run (disk full, permission denied, read-only folder, file-size limit): one
message with what, where, free space, the last complete checkpoint and `--resume`; no traceback; the last
good checkpoint survives and a resumed run continues from it."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from ftui.core.events import read_events
from ftui.core.train.checkpoints import checkpoints, save_final
from ftui.core.train.write_errors import WriteFailed, run_write_failure, write_cause, write_failure
from test_train_support import run_cli, write_config

# After checkpoint-2 is in place, no file may grow past 1 MiB: checkpoint-4's tokenizer.json (3.5 MB) fails.
FILE_SIZE_LIMIT_AFTER_CHECKPOINT_2 = """
import resource
import ftui.core.train.checkpoints as ck
_orig = ck.publish
def publish(tmp_dir, final_dir):
    _orig(tmp_dir, final_dir)
    if final_dir.name == "checkpoint-2":
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, resource.RLIM_INFINITY))
ck.publish = publish
"""

# torch.save's zip writer on a full disk: a RuntimeError that does not carry the errno.
DISK_FULL_IN_TORCH_SAVE_AT_STEP_4 = """
import torch
_orig = torch.save
def save(obj, f, *a, **kw):
    if "checkpoint-4" in str(f):
        raise RuntimeError("[enforce fail at inline_container.cc:626] . unexpected pos 64 vs 0: "
                           "PytorchStreamWriter failed writing file data/0: file write failed")
    return _orig(obj, f, *a, **kw)
torch.save = save
"""

# The final save into a folder that turned read-only.
READ_ONLY_AT_FINAL_SAVE = """
import errno, os
import ftui.core.train.checkpoints as ck
_orig = ck.save_final
def save_final(trainer, output_dir):
    def refuse(*a, **kw):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(output_dir / "adapter_model.safetensors"))
    trainer.save_model = refuse
    _orig(trainer, output_dir)
ck.save_final = save_final
"""


# The disk fills up while the event of step 3 is appended (after checkpoint-2).
DISK_FULL_WRITING_EVENTS_AT_STEP_3 = """
import errno, os
import ftui.core.events as ev
_orig = ev.EventWriter.write
def write(self, event):
    if event["type"] == "step" and event["step"] == 3:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
    return _orig(self, event)
ev.EventWriter.write = write
"""


def fake_checkpoint(run_dir: Path, step: int) -> Path:
    folder = run_dir / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    return folder


def test_write_causes_are_recognised_through_libraries():
    assert write_cause(OSError(errno.ENOSPC, "No space left on device"))[0] == "no space left on the disk"
    assert "ulimit -f" in write_cause(OSError(errno.EFBIG, "File too large"))[0]
    assert write_cause(PermissionError(errno.EACCES, "Permission denied"))[0] == "permission denied"
    rust = Exception(
        'Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "No space" })'
    )
    assert write_cause(rust)[0] == "no space left on the disk"
    torch_zip = RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")
    assert write_cause(torch_zip)[0] == "the write failed"
    try:
        try:
            raise OSError(errno.EROFS, "Read-only file system")
        except OSError as inner:
            raise RuntimeError("saving failed") from inner
    except RuntimeError as outer:
        assert write_cause(outer)[0] == "the file system is read-only"
    assert write_cause(ValueError("bad value")) is None
    assert write_cause(FileNotFoundError(errno.ENOENT, "No such file")) is None


def test_the_message_names_what_where_free_space_and_the_way_on(tmp_path):
    err = OSError(errno.ENOSPC, "No space left on device")
    fake_checkpoint(tmp_path, 2)
    fake_checkpoint(tmp_path, 4)
    (tmp_path / "checkpoint-6").mkdir()  # incomplete: no trainer_state.json
    failure = write_failure(err, "checkpoint-6", tmp_path / ".tmp-checkpoint-6", tmp_path)
    assert isinstance(failure, WriteFailed)
    assert failure.message.startswith(f"could not write checkpoint-6 to {tmp_path / '.tmp-checkpoint-6'}: ")
    assert "no space left on the disk" in failure.message and "free there" in failure.message
    assert f"the last complete checkpoint is {tmp_path / 'checkpoint-4'} (step 4)" in failure.message
    assert failure.hint == "free some space, then continue from it with `ftui train CONFIG --resume`"
    fresh = write_failure(err, "checkpoint-2", tmp_path / "new", tmp_path / "new")
    assert "no checkpoint was complete yet" in fresh.message and "`ftui train CONFIG` again" in fresh.hint
    assert write_failure(KeyError("x"), "checkpoint-6", tmp_path, tmp_path) is None


def test_other_run_writes_count_but_reads_elsewhere_do_not(tmp_path):
    out = tmp_path / "out"
    fake_checkpoint(out, 2)
    full = OSError(errno.ENOSPC, "No space left on device", str(out / "events.jsonl"))
    failure = run_write_failure(full, out)
    assert failure.message.startswith(f"could not write events.jsonl to {out}: no space left on the disk")
    assert f"the last complete checkpoint is {out / 'checkpoint-2'} (step 2)" in failure.message
    denied_inside = PermissionError(errno.EACCES, "Permission denied", str(out / "ftui_run.json"))
    assert "permission denied" in run_write_failure(denied_inside, out).message
    denied_elsewhere = PermissionError(
        errno.EACCES, "Permission denied", str(tmp_path / "model" / "config.json")
    )
    assert run_write_failure(denied_elsewhere, out) is None  # reading the base model: not a write
    assert run_write_failure(RuntimeError("Permission denied while opening"), out) is None
    assert run_write_failure(RuntimeError("PytorchStreamWriter failed writing file: file write failed"), out)
    assert run_write_failure(ValueError("shapes differ"), out) is None
    assert run_write_failure(WriteFailed("already one message"), out) is None


class HalfSavingTrainer:
    """A trainer whose save_model writes one file of the new save, then finds the disk full."""

    class args:
        should_save = True

    model = object()

    def save_model(self, folder: str) -> None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / "adapter_config.json").write_text("new")
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_failed_final_save_leaves_the_earlier_files_whole(tmp_path):
    (tmp_path / "adapter_config.json").write_text("earlier")
    (tmp_path / "adapter_model.safetensors").write_bytes(b"earlier weights")
    with pytest.raises(WriteFailed) as caught:
        save_final(HalfSavingTrainer(), tmp_path)
    assert "could not write the trained model to" in caught.value.message
    assert (tmp_path / "adapter_config.json").read_text() == "earlier"
    assert (tmp_path / "adapter_model.safetensors").read_bytes() == b"earlier weights"
    assert not (tmp_path / ".tmp-final").exists()


def assert_one_message(proc, *parts: str) -> None:
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr[-3000:]
    text = proc.stderr[proc.stderr.index("error:") :]
    for part in parts:
        assert part in text, (part, text)


def assert_checkpoint_loads(folder: Path) -> None:
    from safetensors.torch import load_file

    assert folder in checkpoints(folder.parent)
    assert load_file(str(folder / "adapter_model.safetensors"))
    assert json.loads((folder / "trainer_state.json").read_text())["global_step"] == int(
        folder.name.split("-")[1]
    )


@pytest.mark.slow
def test_file_size_limit_during_a_checkpoint_then_resume(tmp_path, tiny_chatml_model_dir):
    config = write_config(tmp_path, tiny_chatml_model_dir, max_steps=6, save_steps=2)
    out = tmp_path / "out"
    proc = run_cli(["train", str(config)], cwd=tmp_path, prelude=FILE_SIZE_LIMIT_AFTER_CHECKPOINT_2)
    assert_one_message(
        proc,
        f"error: could not write checkpoint-4 to {out / '.tmp-checkpoint-4'}: a file-size limit stopped "
        "the write (ulimit -f)",
        "free there)",
        f"the last complete checkpoint is {out / 'checkpoint-2'} (step 2)",
        "hint: lift the limit (ulimit -f unlimited), then continue from it with `ftui train CONFIG --resume`",
    )
    assert not (out / ".tmp-checkpoint-4").exists() and not (out / "checkpoint-4").exists()
    assert_checkpoint_loads(out / "checkpoint-2")
    failed = read_events(out)[-1]
    assert failed["type"] == "failed" and failed["error_class"] == "WriteFailed"
    assert failed["message"].startswith("could not write checkpoint-4") and failed["traceback_tail"] is None

    resumed = run_cli(["train", str(config), "--resume"], cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    starts = [e["resumed_from_step"] for e in read_events(out) if e["type"] == "run_started"]
    assert starts == [0, 2] and read_events(out)[-1]["type"] == "finished"


@pytest.mark.slow
def test_disk_full_inside_torch_save_keeps_the_last_checkpoint(tmp_path, tiny_chatml_model_dir):
    config = write_config(tmp_path, tiny_chatml_model_dir, max_steps=6, save_steps=2)
    out = tmp_path / "out"
    proc = run_cli(["train", str(config)], cwd=tmp_path, prelude=DISK_FULL_IN_TORCH_SAVE_AT_STEP_4)
    assert_one_message(
        proc,
        f"error: could not write checkpoint-4 to {out / '.tmp-checkpoint-4'}: the write failed",
        f"the last complete checkpoint is {out / 'checkpoint-2'} (step 2)",
        "`ftui train CONFIG --resume`",
    )
    assert not (out / ".tmp-checkpoint-4").exists()
    assert_checkpoint_loads(out / "checkpoint-2")


@pytest.mark.slow
def test_disk_full_while_writing_the_event_log(tmp_path, tiny_chatml_model_dir):
    config = write_config(tmp_path, tiny_chatml_model_dir, max_steps=6, save_steps=2)
    out = tmp_path / "out"
    proc = run_cli(["train", str(config)], cwd=tmp_path, prelude=DISK_FULL_WRITING_EVENTS_AT_STEP_3)
    assert_one_message(
        proc,
        f"error: could not write events.jsonl to {out}: no space left on the disk (",
        f"the last complete checkpoint is {out / 'checkpoint-2'} (step 2)",
        "hint: free some space, then continue from it with `ftui train CONFIG --resume`",
    )
    assert_checkpoint_loads(out / "checkpoint-2")
    assert read_events(out)[-1]["error_class"] == "WriteFailed"


@pytest.mark.slow
def test_read_only_output_at_the_final_save(tmp_path, tiny_chatml_model_dir):
    config = write_config(tmp_path, tiny_chatml_model_dir, max_steps=4, save_steps=2)
    out = tmp_path / "out"
    proc = run_cli(["train", str(config)], cwd=tmp_path, prelude=READ_ONLY_AT_FINAL_SAVE)
    assert_one_message(
        proc,
        f"error: could not write the trained adapter to {out}: the file system is read-only",
        f"the last complete checkpoint is {out / 'checkpoint-4'} (step 4)",
        "hint: choose an output_dir on a writable disk, then continue from it with `ftui train CONFIG --resume`",
    )
    assert_checkpoint_loads(out / "checkpoint-4")
    assert not (out / ".tmp-final").exists() and not (out / "adapter_model.safetensors").exists()


def test_disk_full_while_saving_the_prepared_dataset_keeps_the_earlier_copy(
    tmp_path, tiny_chatml_model_dir, monkeypatch, capsys
):
    import datasets
    from ftui.tui.cli import main

    config = write_config(tmp_path, tiny_chatml_model_dir)
    assert main(["preprocess", str(config), "--json"]) == 0
    earlier = json.loads(capsys.readouterr().out)

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(datasets.Dataset, "save_to_disk", full)
    assert main(["preprocess", str(config), "--force"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("error:") == 1
    assert (
        f"cannot save the prepared dataset in {Path(earlier['path']).parent}: no space left on the disk ("
        in err
    )
    assert "free there); nothing earlier was replaced" in err and "hint: set dataset_prepared_path" in err
    monkeypatch.undo()
    assert main(["preprocess", str(config), "--json"]) == 0  # the earlier copy is whole: reused as it was
    again = json.loads(capsys.readouterr().out)
    assert again["reused"] is True and again["rows"] == earlier["rows"]


def test_the_wizard_save_reports_a_refused_write(tmp_path, monkeypatch):
    from ftui.core.config import yaml_write
    from ftui.core.errors import UserError
    from ftui.tui.wizard.config_io import save_state
    from ftui.tui.wizard.state import WizardState

    state = WizardState()
    state.set_dataset(path="data.jsonl")
    (tmp_path / "a_file").write_text("not a folder")
    with pytest.raises(UserError) as caught:
        save_state(state, tmp_path / "a_file" / "config.yml")
    assert caught.value.message.startswith(
        f"could not write the config to {tmp_path / 'a_file' / 'config.yml'}: "
    )
    assert "free there); nothing there was changed" in caught.value.message

    target = tmp_path / "config.yml"
    target.write_text("base_model: mine\n")

    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(yaml_write, "atomic_write_text", full)
    monkeypatch.setattr("ftui.core.config.save.atomic_write_text", full, raising=False)
    with pytest.raises(UserError) as caught:
        save_state(state, target)
    assert "no space left on the disk" in caught.value.message and "choose another path" in caught.value.hint
    assert target.read_text() == "base_model: mine\n"
