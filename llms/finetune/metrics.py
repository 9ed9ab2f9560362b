"""Answer metrics for evaluation: exact match, token F1, ROUGE-L and BLEU-4, with Chinese segmented by jieba.

The ChatGLM fine-tuning scripts report ROUGE (rouge_chinese) and BLEU-4 (nltk, smoothing
method 3) on jieba words; exact match and token F1 are SQuAD's. When a reference uses the
explanation format (" EXPLAIN: … CONCLUSION: …"), exact match and F1 compare the conclusions,
ROUGE-L and BLEU-4 the whole text.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter

METRICS = ("exact_match", "token_f1", "rouge_l", "bleu_4")


def words(text: str) -> list[str]:
    """jieba's words of the NFKC-normalized, case-folded text, without whitespace and punctuation."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    normal = unicodedata.normalize("NFKC", text).casefold()
    return [w for w in jieba.lcut(normal) if w.strip() and not all(unicodedata.category(c)[0] == "P" for c in w)]


def conclusion(text: str) -> str:
    """The part after "CONCLUSION:" in the explanation format, else the text."""
    head, mark, tail = text.rpartition("CONCLUSION:")
    return tail.strip() if mark else text.strip()


def exact_match(prediction: str, reference: str) -> float:
    return float(words(conclusion(prediction)) == words(conclusion(reference)))


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = words(conclusion(prediction)), words(conclusion(reference))
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def rouge_l(prediction: str, reference: str) -> float:
    from rouge_chinese import Rouge

    pred, ref = " ".join(words(prediction)), " ".join(words(reference))
    if not pred or not ref:
        return float(pred == ref)
    return float(Rouge().get_scores(pred, ref)[0]["rouge-l"]["f"])


def bleu_4(prediction: str, reference: str) -> float:
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    pred, ref = words(prediction), words(reference)
    if not pred or not ref:
        return float(pred == ref)
    return float(sentence_bleu([ref], pred, smoothing_function=SmoothingFunction().method3))


def score(prediction: str, reference: str) -> dict[str, float]:
    return {"exact_match": exact_match(prediction, reference), "token_f1": token_f1(prediction, reference),
            "rouge_l": rouge_l(prediction, reference), "bleu_4": bleu_4(prediction, reference)}


def average(scores: list[dict[str, float]]) -> dict[str, float]:
    if not scores:
        return {name: 0.0 for name in METRICS}
    return {name: round(sum(s[name] for s in scores) / len(scores), 4) for name in METRICS}
