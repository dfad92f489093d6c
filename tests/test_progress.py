import io

from bench.progress import Progress


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_without_a_terminal_at_most_one_line_per_interval(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr("bench.progress.time.monotonic", clock)
    stream = io.StringIO()
    with Progress(100, "fine-tuning", stream=stream, interval=5, unit="steps") as progress:
        for _ in range(100):
            clock.now += 0.2  # 20 s in all
            progress.update()
    lines = stream.getvalue().splitlines()
    assert 4 <= len(lines) <= 5  # one every 5 s, plus the closing line
    assert lines[-1] == "fine-tuning: 100/100 steps (100%), 20 s"
    assert "\r" not in stream.getvalue()


def test_nothing_done_prints_nothing():
    stream = io.StringIO()
    Progress(10, "embedding", stream=stream).close()
    assert stream.getvalue() == ""


def test_the_description_follows_the_current_work(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr("bench.progress.time.monotonic", clock)
    stream = io.StringIO()
    with Progress(2, "suite quick", stream=stream, interval=0, unit="systems") as progress:
        progress.describe("suite quick: majority (seed 0)")
        progress.update()
        progress.describe("suite quick: cue-rules (seed 0)")
        progress.update()
    assert stream.getvalue().splitlines()[:2] == ["suite quick: majority (seed 0): 1/2 systems (50%), 0 s",
                                                  "suite quick: cue-rules (seed 0): 2/2 systems (100%), 0 s"]
