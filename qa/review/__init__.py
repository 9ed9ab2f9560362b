"""Review of the dataset: filter and page through pairs, edit (re-grounded), accept or reject many, undo, duplicates, judge.

    where = PairFilter(status="new", grounded="false", q="river")
    with db.session() as s: page, total = list_pairs(s, where, sort="-score", limit=50, offset=0)
    edit_pair(db, 7, answer="…")         set_status(db, "accepted", where=where)        undo_last(db)
    catch_up(db, threshold)              (flag duplicates of pairs added since the last call)
"""

from qa.review.actions import IDS_MAX, NothingToUndo, edit_pair, grounding_fields, save_ask_pairs, set_status, undo_last
from qa.review.duplicates import catch_up, reflag
from qa.review.filters import SORTS, PairFilter
from qa.review.models import ReviewAction
from qa.review.queries import LIMIT_MAX, export_pairs, get_pair, get_pairs, list_pairs, pair_source

__all__ = ["IDS_MAX", "LIMIT_MAX", "SORTS", "NothingToUndo", "PairFilter", "ReviewAction", "catch_up", "edit_pair",
           "export_pairs", "get_pair", "get_pairs", "grounding_fields", "list_pairs", "pair_source", "reflag",
           "save_ask_pairs", "set_status", "undo_last"]
