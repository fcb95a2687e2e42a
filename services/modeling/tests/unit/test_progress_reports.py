"""A job's progress reports: with MODEL_PROGRESS_INTERVAL, at most one write per interval."""

from types import SimpleNamespace

from modeling.worker import _Reporter


class Repo:
    def __init__(self):
        self.writes = 0

    async def change(self, model_id, build, where):
        self.writes += 1
        return {"_id": model_id}


def reporter(interval):
    now = [0.0]
    repo = Repo()
    r = _Reporter(SimpleNamespace(repo=repo), "m1", "tok", interval, clock=lambda: now[0])
    return r, repo, now


async def test_reports_within_the_interval_are_skipped_and_later_ones_written():
    r, repo, now = reporter(2.0)
    for progress in (5, 15, 35, 55):  # a fast provider's steps, all within 2 s
        await r.progress(progress, "RUN")
        now[0] += 0.3
    assert repo.writes == 1 and r.last == (5, "RUN")
    now[0] += 2.0
    await r.progress(70, "RUN")
    assert repo.writes == 2 and r.last == (70, "RUN")
    await r.progress(70, "WAIT")  # a new provider status is always written
    assert repo.writes == 3


async def test_without_an_interval_every_advance_is_written():
    r, repo, _ = reporter(0.0)
    for progress in (5, 15, 15, 35):
        await r.progress(progress, "RUN")
    assert repo.writes == 3
