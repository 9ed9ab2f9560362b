"""Which pairs a review, a bulk action or an export is about: one filter model, turned into SQL conditions.

The same `PairFilter` reads the query string of GET /api/pairs and /api/export, the
`filter` of POST /api/pairs/bulk and the options of `python -m qa export`, so every
door selects the same pairs for the same words.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Text, and_, cast, false, func, or_, true

from qa.store.models import PAIR_STATUSES, VERDICTS, Pair

Q_MAX = 200
Status = Literal["new", "accepted", "rejected"]
Verdict = Literal["grounded", "unsupported", "unverifiable"]
Rated = Literal["rated", "unrated", "unjudged"]
SORTS = {
    "id": (Pair.id,), "-id": (Pair.id.desc(),),
    "score": (Pair.score.asc().nulls_first(), Pair.id), "-score": (Pair.score.desc().nulls_last(), Pair.id.desc()),
    "support": (Pair.support, Pair.id), "-support": (Pair.support.desc(), Pair.id.desc()),
}
assert set(PAIR_STATUSES) == {"new", "accepted", "rejected"} and set(VERDICTS) == set(Verdict.__args__)


class PairFilter(BaseModel):
    """Conditions on pairs; every one left out matches everything."""
    model_config = ConfigDict(extra="forbid")

    document: int | None = Field(None, ge=1, le=2**63 - 1, description="Document id")
    job: int | None = Field(None, ge=1, le=2**63 - 1, description="Job id")
    status: Status | None = None
    grounded: Literal["true", "false", "grounded", "unsupported", "unverifiable"] | None = Field(
        None, description="true/grounded, false (unsupported or unverifiable), unsupported, unverifiable")
    duplicate: bool | None = Field(None, description="true: pairs flagged as duplicating an earlier one")
    score_min: float | None = Field(None, ge=0, le=5)
    score_max: float | None = Field(None, ge=0, le=5)
    rated: Rated | None = Field(None, description="rated, unrated (the judge could not rate it) or unjudged")
    origin: Literal["job", "ask"] | None = None
    q: str | None = Field(None, max_length=Q_MAX, pattern=r"^[^\x00]*$",
                          description="Text in the question or answer (any case)")

    def conditions(self) -> list:
        """SQLAlchemy conditions on Pair for this filter."""
        out = []
        if self.document is not None:
            out.append(Pair.document_id == self.document)
        if self.job is not None:
            out.append(Pair.job_id == self.job)
        if self.status is not None:
            out.append(Pair.status == self.status)
        if self.grounded in ("true", "grounded"):
            out.append(Pair.verdict == "grounded")
        elif self.grounded == "false":
            out.append(Pair.verdict != "grounded")
        elif self.grounded is not None:
            out.append(Pair.verdict == self.grounded)
        if self.duplicate is not None:
            flagged = func.coalesce(cast(Pair.duplicate_of, Text), "null") != "null"  # SQL NULL or JSON null: none
            out.append(flagged if self.duplicate else ~flagged)
        if self.score_min is not None:
            out.append(Pair.score >= self.score_min)
        if self.score_max is not None:
            out.append(Pair.score <= self.score_max)
        if self.rated == "rated":
            out.append(Pair.score.is_not(None))
        elif self.rated == "unrated":
            out.append(and_(Pair.score.is_(None), Pair.score_reason.is_not(None)))
        elif self.rated == "unjudged":
            out.append(and_(Pair.score.is_(None), Pair.score_reason.is_(None)))
        if self.origin is not None:
            out.append(Pair.origin == self.origin)
        if self.q and self.q.strip():
            text = self.q.strip()
            out.append(or_(Pair.question.icontains(text, autoescape=True),
                           Pair.answer.icontains(text, autoescape=True)))
        return out

    def where(self):
        """All conditions as one clause (true when there are none)."""
        conditions = self.conditions()
        return and_(*conditions) if conditions else true()

    def is_empty(self) -> bool:
        return not self.conditions()


NOTHING = false()
