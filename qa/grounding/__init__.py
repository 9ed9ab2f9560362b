"""Check each answer against its source text: is it there, about the question, and saying no more than the text?

An answer is cut into units (words, Chinese character pairs, numbers, names; see
`qa.grounding.text`) and its `support` is the weighted share found together in one
window of the source (1 when the whole answer is there). The rules then decide one
of three verdicts, each with the reasons in words:

- `unverifiable`: too short to check — a yes/no answer, a single character, or a
  short answer (one word, one or two Chinese characters) found in the text but not
  where the question's words are.
- `unsupported`: support below the threshold; a number, date or name the text does
  not have there ("2019 is not in the text"); content the evidence does not hold (an
  added clause, a new word or place); a negation added or dropped ("the text says the
  opposite"); or evidence that is not where the question's content words, numbers
  and names are, or that another question of the same batch is clearly about, or an
  answer of the wrong kind (no number for "how many", no time for "when", a bare
  quantity for "哪家公司" or "what team", no colour for "what colour") ("the
  evidence is about another question"); or an answer that only repeats the
  question's words (`qa.grounding.kinds`).
- `grounded`: none of these.

Each result adds to the pair: `verdict`, `grounded` (verdict == "grounded"),
`support` (0..1), `evidence` (the verbatim span of the source, "" when nothing
matched) with `evidence_start`/`evidence_end` (its offsets in the source), and
`reasons` ([{"code", "message"}], empty when grounded). An optional model check
(`qa.verify`) judges the pairs the rules are unsure of; its verdict replaces theirs
and its reason is added with the code "model".
"""

from __future__ import annotations

from collections.abc import Callable

from prompts.language import detect_language
from qa.grounding.index import Finding, SourceIndex

DEFAULT_THRESHOLD = 0.6  # support an answer needs to count as grounded (bench/README.md, "Threshold")
VERDICTS = ("grounded", "unsupported", "unverifiable")

#: (question, answer, evidence or source) -> (verdict, reason), or None when the model gave no usable verdict.
Verifier = Callable[[str, str, str], "tuple[str, str] | None"]

MESSAGES = {
    "empty": {"en": "the answer is empty", "zh": "答案为空"},
    "yes_no": {"en": "a yes/no answer cannot be checked against the text", "zh": "是/否类答案无法对照原文核实"},
    "too_short": {"en": "“{answer}” is too short to check against the text", "zh": "“{answer}”太短，无法对照原文核实"},
    "not_anchored": {"en": "“{answer}” is in the text, but not where the question's words are",
                     "zh": "原文中有“{answer}”，但不在问题所说的位置"},
    "not_found": {"en": "the answer is not in the text", "zh": "原文中找不到这个答案"},
    "missing_fact": {"en": "{text} is not in the text", "zh": "原文中没有“{text}”"},
    "misplaced_fact": {"en": "{text} is not in that part of the text", "zh": "原文这一处没有“{text}”"},
    "added_claim": {"en": "“{text}” is not in the text", "zh": "原文中没有“{text}”"},
    "negation_added": {"en": "the text says the opposite: it has no “{text}” here",
                       "zh": "原文的意思相反：原文这里没有“{text}”"},
    "negation_removed": {"en": "the text says the opposite: it says “{text}” here",
                         "zh": "原文的意思相反：原文这里有“{text}”"},
    "other_question": {"en": "the evidence is about another question", "zh": "证据说的是另一个问题"},
    "wrong_kind": {"en": "the evidence is about another question: the question asks for a {kind}, the answer gives none",
                   "zh": "证据说的是另一个问题：问题问的是{kind_zh}，答案没有给出"},
    "repeats_question": {"en": "the answer only repeats words of the question", "zh": "答案只是重复了问题里的词"},
    "low_support": {"en": "only {percent}% of the answer is in the text", "zh": "答案只有{percent}%能在原文中找到"},
}


def reason(code: str, language: str = "en", **values) -> dict:
    """{"code", "message"} in the language ("en" or "zh")."""
    template = MESSAGES[code]["zh" if language == "zh" else "en"]
    if "kind" in values:
        kinds_zh = {"number": "数字", "name": "人名或地名", "time": "时间", "description": "名称或描述", "colour": "颜色"}
        values = {**values, "kind_zh": kinds_zh.get(values["kind"], values["kind"])}
    return {"code": code, "message": template.format(**values)}


def ground(pairs: list[dict], source: str, threshold: float = DEFAULT_THRESHOLD, *,
           language: str | None = None, verifier: Verifier | None = None) -> list[dict]:
    """Each pair with verdict, grounded, support, evidence, evidence_start, evidence_end and reasons added.

    `language` picks the reasons' language (default: the source's). `verifier`, when
    given, is asked about the pairs the rules are unsure of (`qa.verify.ModelVerifier`).
    """
    index = SourceIndex(source)
    language = language or detect_language(source)
    results = []
    questions = [str(pair.get("question", "")) for pair in pairs]
    answers = [str(pair.get("answer", "")) for pair in pairs]
    findings = [index.check(answer, question, threshold) for answer, question in zip(answers, questions)]
    for pair, answer, question, finding in zip(pairs, answers, questions, findings):
        # Another question of the batch whose own answer lies here too is answered here as well (a near-duplicate).
        if finding.weakly_about and index.about_other(finding, [
                questions[j] for j, other in enumerate(findings) if questions[j] != question
                and not (other.start < finding.end and finding.start < other.end)]):
            finding.verdict, finding.unsure = "unsupported", True  # the answer to another question of the batch
            finding.reasons.append(("other_question", {}))
        result = _result(index, finding, language)
        if verifier is not None and finding.unsure:
            _verify(verifier, question, answer, result, index, finding)
        results.append({**pair, **result})
    return results


def _result(index: SourceIndex, finding: Finding, language: str) -> dict:
    evidence, start, end = index.evidence(finding.start, finding.end)
    return {
        "grounded": finding.verdict == "grounded",
        "support": round(finding.support, 3),
        "evidence": evidence,
        "evidence_start": start,
        "evidence_end": end,
        "verdict": finding.verdict,
        "reasons": [reason(code, language, **values) for code, values in finding.reasons],
    }


def _verify(verifier: Verifier, question: str, answer: str, result: dict, index: SourceIndex,
            finding: Finding) -> None:
    """Let the model decide a pair the rules are unsure of; its verdict and reason go into the result."""
    context = _context(index, finding)
    judged = verifier(question, answer, context)
    if judged is None:
        return
    verdict, why = judged
    if verdict not in VERDICTS:
        return
    result["verdict"], result["grounded"] = verdict, verdict == "grounded"
    if verdict == "grounded":
        result["reasons"] = []
    result["reasons"] = result["reasons"] + [{"code": "model", "message": why}]


def _context(index: SourceIndex, finding: Finding, around: int = 300) -> str:
    """The evidence with some text either side, or the start of the source when nothing matched."""
    evidence, start, end = index.evidence(finding.start, finding.end)
    if not evidence:
        return index.source[:2 * around]
    return index.source[max(0, start - around):end + around]
