"""Changing pairs in review: edit one (grounding re-checked), set the status of one or many, undo the last action, save /ask pairs.

Every change is logged in `review_actions` with the values it replaced, in the same
transaction, so `undo` restores exactly what was there and nothing else.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select, update

from qa.grounding import DEFAULT_THRESHOLD, ground
from qa.review.filters import PairFilter
from qa.review.models import ReviewAction
from qa.store.database import Database
from qa.store.models import Chunk, Document, Pair, now

IDS_MAX = 10_000  # ids in one bulk request
IN_BATCH = 900  # ids per IN (...) clause: well under SQLite's bound-parameter limit
EDIT_FIELDS = ("question", "answer", "verdict", "grounded", "support", "evidence", "evidence_start", "evidence_end",
               "reasons", "status")


class NothingToUndo(LookupError):
    """The action log has no action left to undo."""


def grounding_fields(question: str, answer: str, chunk: Chunk | None, threshold: float) -> dict:
    """verdict, grounded, support, evidence and its offsets in the document, for an answer checked against its chunk."""
    if chunk is None or not chunk.text:
        return {"verdict": "unverifiable", "grounded": False, "support": 0.0, "evidence": "", "evidence_start": None,
                "evidence_end": None, "reasons": ["no source chunk to check the answer against"]}
    checked = ground([{"question": question, "answer": answer}], chunk.text, threshold)[0]
    evidence = checked["evidence"]
    at = checked.get("evidence_start") if evidence else -1  # offsets in the chunk, when the grounding gives them
    if at is None:
        at = chunk.text.find(evidence)
    default_reasons = [] if checked["grounded"] else [f"support {checked['support']:.2f} is below {threshold:.2f}"]
    return {"verdict": checked.get("verdict") or ("grounded" if checked["grounded"] else "unsupported"),
            "grounded": checked["grounded"], "support": checked["support"], "evidence": evidence,
            "evidence_start": chunk.start + at if at >= 0 else None,
            "evidence_end": chunk.start + at + len(evidence) if at >= 0 else None,
            "reasons": list(checked.get("reasons", default_reasons))}


def edit_pair(db: Database, pair_id: int, *, question: str | None = None, answer: str | None = None,
              status: str | None = None, threshold: float = DEFAULT_THRESHOLD) -> tuple[bool, bool]:
    """Change a pair's text and/or status; a new question or answer is grounded again against its chunk.
    Returns (found, question changed)."""
    with db.write() as session:
        pair = session.get(Pair, pair_id)
        if pair is None:
            return False, False
        before = {f: getattr(pair, f) for f in EDIT_FIELDS}
        new_question = question if question is not None else pair.question
        new_answer = answer if answer is not None else pair.answer
        if (new_question, new_answer) != (pair.question, pair.answer):
            chunk = session.get(Chunk, pair.chunk_id) if pair.chunk_id is not None else None
            for key, value in grounding_fields(new_question, new_answer, chunk, threshold).items():
                setattr(pair, key, value)
            pair.question, pair.answer = new_question, new_answer
        if status is not None:
            pair.status = status
        changed = {f: v for f, v in before.items() if getattr(pair, f) != v}
        if changed:
            session.add(ReviewAction(kind="edit", count=1, changes=[{"id": pair_id, "before": changed}]))
        return True, "question" in changed


def set_status(db: Database, status: str, *, ids: Sequence[int] | None = None,
               where: PairFilter | None = None) -> int:
    """Set `status` on the pairs named by `ids` or matching `where`; returns how many changed."""
    with db.write() as session:
        if ids is not None:
            ids = list(dict.fromkeys(ids))
            rows = []
            for at in range(0, len(ids), IN_BATCH):
                rows += session.execute(select(Pair.id, Pair.status).where(
                    Pair.id.in_(ids[at:at + IN_BATCH]), Pair.status != status)).all()
        else:
            rows = session.execute(select(Pair.id, Pair.status).where(
                (where or PairFilter()).where(), Pair.status != status)).all()
        if not rows:
            return 0
        by_status: dict[str, list[int]] = defaultdict(list)
        for pair_id, old in rows:
            by_status[old].append(pair_id)
        changed = [pair_id for pair_id, _ in rows]
        for at in range(0, len(changed), IN_BATCH):
            session.execute(update(Pair).where(Pair.id.in_(changed[at:at + IN_BATCH])).values(status=status)
                            .execution_options(synchronize_session=False))
        session.add(ReviewAction(kind="status", count=len(changed),
                                 changes=[{"status": old, "ids": group} for old, group in by_status.items()]))
        return len(changed)


def undo_last(db: Database) -> dict:
    """Restore what the latest action not yet undone replaced; returns {"action", "kind", "count", "ids"}.
    Raises NothingToUndo when there is none. Pairs deleted since are skipped."""
    with db.write() as session:
        action = session.scalar(select(ReviewAction).where(ReviewAction.undone.is_(False))
                                .order_by(ReviewAction.id.desc()).limit(1).with_for_update())
        if action is None:
            raise NothingToUndo("there is no review action to undo")
        ids: list[int] = []
        if action.kind == "edit":
            for change in action.changes:
                pair = session.get(Pair, change["id"])
                if pair is not None:
                    for key, value in change["before"].items():
                        setattr(pair, key, value)
                    ids.append(pair.id)
        else:
            for group in action.changes:
                for at in range(0, len(group["ids"]), IN_BATCH):
                    session.execute(update(Pair).where(Pair.id.in_(group["ids"][at:at + IN_BATCH]))
                                    .values(status=group["status"]).execution_options(synchronize_session=False))
                ids += group["ids"]
        action.undone = True
        return {"action": action.id, "kind": action.kind, "count": action.count, "ids": ids[:IDS_MAX],
                "text_changed": action.kind == "edit" and any("question" in c["before"] for c in action.changes)}


def save_ask_pairs(db: Database, *, passage: str, model: str, pairs: Sequence[dict], prompt: str | None = None,
                   threshold: float = DEFAULT_THRESHOLD, name: str | None = None) -> list[int]:
    """Keep pairs from the chat page's /ask in the dataset, with the same provenance as a job's: the passage
    becomes a one-chunk document (reused when the same passage was saved before), each answer is grounded
    against it, origin "ask". Returns the new pairs' ids."""
    with db.write() as session:
        document = session.scalar(select(Document).where(Document.kind == "ask", Document.chars == len(passage),
                                                         Document.text == passage).limit(1))
        if document is None:
            title = name or " ".join(passage.split())[:60] or "passage"
            document = Document(name=f"ask: {title}"[:255], kind="ask", text=passage, chars=len(passage), pages=None,
                                warnings=[], chunk_size=max(1, len(passage)), chunk_overlap=0, created_at=now())
            session.add(document)
            session.flush()
            session.add(Chunk(document_id=document.id, index=0, start=0, end=len(passage), text=passage))
            session.flush()
        chunk = session.scalar(select(Chunk).where(Chunk.document_id == document.id).order_by(Chunk.index).limit(1))
        rows = []
        for item in pairs:
            fields = grounding_fields(item["question"], item["answer"], chunk, threshold)
            rows.append(Pair(document_id=document.id, chunk_id=chunk.id, job_id=None, question=item["question"],
                             answer=item["answer"], model=model, prompt_text=prompt, origin="ask", status="new",
                             created_at=now(), **fields))
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]
