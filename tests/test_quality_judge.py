"""`ftui judge`: an OpenAI-compatible endpoint (a small server this test starts on 127.0.0.1) and a tiny local
model; critiques as leave-one-out examples, agreement with the human verdicts, judgements driving `data clean`,
and the key used in the request but never written."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from ftui.core.events import EventWriter
from ftui.core.quality.critiques import Critique, add_critique
from ftui.core.quality.judge import agreement, parse_reply
from ftui.tui.cli import main

KEY = "sk-test-not-a-real-key-1234"


class FakeJudge(BaseHTTPRequestHandler):
    """Says bad when the answer under review contains 'wrong'; records every request."""

    requests: list[dict] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeJudge.requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        if FakeJudge.status != 200:
            self.send_response(FakeJudge.status)
            self.end_headers()
            return
        answer = body["messages"][-1]["content"].split("ANSWER:\n", 1)[1]
        verdict = "bad" if "wrong" in answer else "good"
        content = "Thinking... " + json.dumps({"critique": f"looks {verdict}", "verdict": verdict})
        reply = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    FakeJudge.requests = []
    FakeJudge.status = 200
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeJudge)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def a_run(root: Path) -> Path:
    run = root / "run"
    writer = EventWriter(run)
    samples = [
        {
            "prompt": "count errors",
            "expected": "COUNT",
            "generated": "COUNT where level=error",
            "passed": True,
        },
        {"prompt": "slowest endpoint", "expected": "P99", "generated": "wrong: AVG", "passed": True},
        {"prompt": "traces by user", "expected": "GROUP", "generated": "GROUP BY user", "passed": True},
    ]
    writer.emit("eval", step=5, eval_loss=1.0, samples=samples)
    writer.emit("eval", step=10, eval_loss=0.9, samples=[{**samples[1], "generated": "still wrong"}])
    writer.close()
    # the expert's marks: agrees with the fake judge twice, disagrees once
    add_critique(run, Critique("count errors", "COUNT where level=error", "good", "right filter", step=5))
    add_critique(run, Critique("slowest endpoint", "wrong: AVG", "bad", "uses AVG, needs P99", step=5))
    add_critique(run, Critique("traces by user", "GROUP BY user", "bad", "misses the time range", step=5))
    return run


def test_endpoint_judge_on_a_run(tmp_path, server, monkeypatch, capsys):
    run = a_run(tmp_path)
    monkeypatch.setenv("MY_JUDGE_KEY", KEY)
    rc = main(
        [
            "judge",
            str(run),
            "--judge",
            "judge-model",
            "--judge-url",
            server,
            "--judge-key-env",
            "MY_JUDGE_KEY",
            "--json",
        ]
    )
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["judged"] == 4 and summary["bad"] == 2 and summary["good"] == 2
    assert (
        summary["with_human_verdict"] == 3
        and summary["compared"] == 3
        and summary["agreement"] == pytest.approx(2 / 3, abs=1e-3)
    )
    assert summary["human_bad_judge_good"] == 1
    lines = [json.loads(line) for line in (run / "judgements.jsonl").read_text().splitlines()]
    assert [(j["generation"], j["verdict"], j["human_verdict"]) for j in lines] == [
        ("COUNT where level=error", "good", "good"),
        ("wrong: AVG", "bad", "bad"),
        ("GROUP BY user", "good", "bad"),
        ("still wrong", "bad", None),
    ]
    assert lines[0]["critique"] == "looks good" and lines[0]["judge"] == {
        "model": "judge-model",
        "kind": "endpoint",
        "url": server,
    }
    requests = FakeJudge.requests
    assert all(r["path"] == "/v1/chat/completions" and r["auth"] == f"Bearer {KEY}" for r in requests)
    assert requests[0]["body"]["model"] == "judge-model" and requests[0]["body"]["temperature"] == 0
    first = requests[0]["body"]["messages"]  # judging "count errors": its own critique is not an example
    shown = " ".join(m["content"] for m in first[1:-1])
    assert "right filter" not in shown and "uses AVG, needs P99" in shown and "misses the time range" in shown
    for path in run.rglob("*"):  # the key is used, never written
        assert KEY not in path.read_text(errors="replace")


def test_judgements_drive_data_clean(tmp_path, server, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    rows = [
        {"instruction": "q1", "input": "", "output": "a fine answer"},
        {"instruction": "q2", "input": "", "output": "a wrong answer"},
        {"instruction": "q3", "input": "", "output": "another fine answer"},
    ]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "cfg.yml").write_text("base_model: embedded\ndatasets:\n  - path: d.jsonl\n")
    assert main(["judge", "cfg.yml", "--judge", "m", "--judge-url", server]) == 0
    assert FakeJudge.requests[0]["auth"] is None  # no key set: no Authorization header
    judgements = tmp_path / "cfg.judgements.jsonl"
    sources = [json.loads(line)["source"] for line in judgements.read_text().splitlines()]
    assert [(s["file"], s["line"]) for s in sources] == [("d.jsonl", 1), ("d.jsonl", 2), ("d.jsonl", 3)]
    assert (
        main(
            [
                "data",
                "clean",
                "cfg.yml",
                "--drop",
                "judge_failed",
                "--judgements",
                str(judgements),
                "--out",
                "clean.jsonl",
            ]
        )
        == 0
    )
    source = (tmp_path / "d.jsonl").read_bytes().splitlines(keepends=True)
    assert (tmp_path / "clean.jsonl").read_bytes() == source[0] + source[2]
    report = json.loads((tmp_path / "clean.jsonl.report.json").read_text())
    assert (
        report["rows"][0]["kinds"] == ["judge_failed"]
        and report["rows"][0]["reasons"]["judge_failed"] == "looks bad"
    )
    # the data changed since it was judged: refused
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [rows[0], rows[2], rows[1]]))
    assert (
        main(
            [
                "data",
                "clean",
                "cfg.yml",
                "--drop",
                "judge_failed",
                "--judgements",
                str(judgements),
                "--out",
                "c2.jsonl",
            ]
        )
        == 2
    )
    assert "not the row the judge saw" in capsys.readouterr().err


def test_endpoint_errors_are_user_errors_without_the_key(tmp_path, server, monkeypatch, capsys):
    run = a_run(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    FakeJudge.status = 401
    assert main(["judge", str(run), "--judge", "m", "--judge-url", server]) == 2
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "OPENAI_API_KEY" in err and KEY not in err
    assert (
        main(
            ["judge", str(run), "--judge", "m", "--judge-url", server, "--judge-key-env", "NOT_SET_ANYWHERE"]
        )
        == 2
    )
    assert "NOT_SET_ANYWHERE" in capsys.readouterr().err
    assert main(["judge", str(tmp_path / "nothing"), "--judge", "m", "--judge-url", server]) == 2


def test_reply_parsing_and_agreement():
    assert parse_reply('{"critique": "ok", "verdict": "PASS"}') == ("good", "ok")
    assert parse_reply("The answer misses the filter. Verdict: bad") == (
        "bad",
        "The answer misses the filter. Verdict: bad",
    )
    assert parse_reply("no idea") == (None, "no idea")
    assert agreement([])["agreement"] is None


@pytest.mark.slow
def test_local_tiny_model_judge_round_trip(tmp_path, tiny_chatml_model_dir, capsys):
    run = a_run(tmp_path)
    rc = main(["judge", str(run), "--judge", str(tiny_chatml_model_dir), "--max-new-tokens", "8", "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    lines = [json.loads(line) for line in (run / "judgements.jsonl").read_text().splitlines()]
    assert summary["judged"] == len(lines) == 4 and summary["with_human_verdict"] == 3
    assert all(isinstance(j["raw"], str) and j["judge"]["kind"] == "local" for j in lines)
    assert all(
        j["verdict"] in ("good", "bad", None) for j in lines
    )  # a random model: the plumbing is the point
