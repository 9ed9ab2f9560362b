"""The judge job: rate the pairs that match a filter with a chosen model, as a row of the jobs table (kind "judge").

`start_judge_job` records the job (model, filter) and `run_judge_job` does the work:
each pair's rating is saved as it comes (score and reason; an unreadable rating leaves
score None with the reason "unrated: …"), and the job's `options` keep the running
counts {"rated", "unrated", "total"}, so a page or the jobs API can show how many
pairs could not be rated. A stopped or crashed run keeps every rating it saved and
the last pair it reached: run again (the app resumes judge jobs left queued or running
when it starts), it goes on from there. The extraction runner (qa.jobs) leaves these
rows alone: it only takes jobs of kind "extract".
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import and_, func, select, update

from llms.base import RemoteLLMs
from qa.judge import Rating, judge_pair
from qa.review.filters import PairFilter
from qa.store.database import Database
from qa.store.models import Chunk, Job, Pair, now

BATCH = 100


def start_judge_job(db: Database, model: str, where: PairFilter, *, rejudge: bool = False) -> int:
    """A queued judge job over the pairs matching `where`; returns its id."""
    with db.write() as session:
        job = Job(kind="judge", model=model, status="queued", concurrency=1, created_at=now(), updated_at=now(),
                  options={"filter": where.model_dump(exclude_none=True), "rejudge": rejudge,
                           "rated": 0, "unrated": 0, "total": 0})
        session.add(job)
        session.flush()
        return job.id


def save_rating(db: Database, pair_id: int, rating: Rating) -> None:
    with db.write() as session:
        session.execute(update(Pair).where(Pair.id == pair_id).values(score=rating.score, score_reason=rating.reason)
                        .execution_options(synchronize_session=False))


def run_judge_job(db: Database, job_id: int, model: RemoteLLMs, *,
                  should_stop: Callable[[], bool] = lambda: False) -> dict:
    """Rate every pair the job's filter selects (not yet judged, unless the job re-judges); returns the counts."""
    with db.write() as session:
        job = session.get(Job, job_id)
        options = dict(job.options or {})
        job.status, job.started_at = "running", now()
    where = PairFilter(**options.get("filter", {}))
    condition = where.where()
    if not options.get("rejudge"):
        condition = and_(condition, Pair.score.is_(None), Pair.score_reason.is_(None))
    last, status, error = options.get("last_id", 0), "done", None  # a resumed job goes on where it stopped
    with db.session() as session:
        remaining = session.scalar(select(func.count()).select_from(Pair).where(condition, Pair.id > last))
    counts = {"rated": options.get("rated", 0), "unrated": options.get("unrated", 0)}
    counts["total"] = counts["rated"] + counts["unrated"] + remaining
    try:
        while True:
            with db.session() as session:
                rows = session.execute(select(Pair.id, Pair.question, Pair.answer, Chunk.text)
                                       .outerjoin(Chunk, Chunk.id == Pair.chunk_id)
                                       .where(condition, Pair.id > last).order_by(Pair.id).limit(BATCH)).all()
            if not rows:
                break
            for pair_id, question, answer, chunk in rows:
                if should_stop():
                    status = "cancelled"
                    break
                rating = judge_pair(model, question, answer, chunk or "")
                save_rating(db, pair_id, rating)
                counts["rated" if rating.rated else "unrated"] += 1
                last = pair_id
            _progress(db, job_id, {**counts, "last_id": last})
            if status != "done":
                break
    except Exception as exc:  # recorded on the job; the ratings saved so far stay
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        raise
    finally:
        with db.write() as session:
            job = session.get(Job, job_id)
            job.options = {**(job.options or {}), **counts, "last_id": last}
            if not (status == "cancelled" and job.status in ("paused", "cancelled")):  # a pause set elsewhere stays
                job.status = status
            job.error, job.finished_at = error, now()
    return counts


def stopped_elsewhere(db: Database, job_id: int) -> bool:
    """The job was paused or cancelled (through the jobs API, say) while it ran."""
    with db.session() as session:
        return session.scalar(select(Job.status).where(Job.id == job_id)) in ("paused", "cancelled", None)


def unfinished_judge_jobs(db: Database) -> list[tuple[int, str]]:
    """(id, model) of judge jobs left queued or running (by a process that stopped)."""
    with db.session() as session:
        return list(session.execute(select(Job.id, Job.model).where(Job.kind == "judge",
                                                                   Job.status.in_(("queued", "running")))).all())


def _progress(db: Database, job_id: int, counts: dict) -> None:
    with db.write() as session:
        job = session.get(Job, job_id)
        job.options = {**(job.options or {}), **counts}
