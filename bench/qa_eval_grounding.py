"""The grounding half of bench/qa_eval.py: the answer cases built from human QA pairs, and their verdicts.

Supported kinds: the human answer verbatim, lightly rephrased (the question turned
into a statement around the span, "It was …", a final "。"), and the source sentence
that holds it. Unsupported kinds: another paragraph's answer, a number or date
changed, a name swapped, a claim added to a right answer (a clause with a new
number, date, name, place or superlative), a negation added to the source sentence
or removed from it, and the answer to another question of the same paragraph. Short
answers (yes/no, one character, a lone word of the paragraph) must not be called
grounded. Everything is seeded.
"""

from __future__ import annotations

import random
import re
import time

import jieba.posseg

from qa.grounding import ground

CHINESE_NUMERALS = "零一二三四五六七八九"


# -- grounding cases ---------------------------------------------------------------------

def _plain(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _paraphrase(question: str, answer: str, lang: str, rng) -> str:
    """A light rewording a model might give: the question turned into a statement, or a short sentence."""
    if lang == "zh":
        asked = re.search(r"哪[一二两三四五六七八九十几]?[个位种年些里座部国家名所本支条项次]*|什么|谁|多少|"
                          r"几[个年次位种项层条部名天只届册卷页话场岁]|何时|何地", question)
        if asked and rng.random() < 0.7:
            end = asked.end()
            if end < len(question) and answer.endswith(question[end]):
                end += 1  # "多少头" answered "650头": the measure word is in the answer already
            return question[:asked.start()] + answer + question[end:].rstrip("？?") + "。"
        return rng.choice(["{a}。", "是{a}。", "{a}"]).format(a=answer)
    if question.startswith("Who ") and rng.random() < 0.7:
        return answer + " " + question[4:].rstrip("?") + "."  # "Who won?" -> "The Broncos won."
    if " and " in answer and "," not in answer and rng.random() < 0.5:
        left, right = answer.split(" and ", 1)
        return f"{right[0].upper() + right[1:]} and {left[0].lower() + left[1:] if not left[:2].isupper() else left}."
    template = rng.choice(["It was {a}.", "{A}.", "The answer is {a}.", "{a}"])
    return template.format(a=re.sub(r"^(?:the|The) ", "", answer), A=answer[0].upper() + answer[1:])


def _change_number(answer: str, rng) -> str | None:
    numbers = list(re.finditer(r"\d+", answer))
    if numbers:
        found = rng.choice(numbers)
        value = int(found.group())
        if 1000 <= value <= 2100:
            new = value + rng.choice([-3, -2, -1, 1, 2, 3])
        else:
            new = value + rng.randint(1, 9)
        return answer[:found.start()] + str(new) + answer[found.end():]
    numerals = list(re.finditer(f"[{CHINESE_NUMERALS[1:]}]", answer))
    if numerals:
        found = rng.choice(numerals)
        new = rng.choice([c for c in CHINESE_NUMERALS[1:] if c != found.group()])
        return answer[:found.start()] + new + answer[found.end():]
    return None


def _names(answer: str, lang: str) -> list[str]:
    if lang == "en":
        return [m.group() for m in re.finditer(r"(?<!^)\b[A-Z][a-z]+(?: [A-Z][a-z]+)*|^[A-Z][a-z]+(?: [A-Z][a-z]+)+",
                                               answer) if m.group() not in ("The", "A", "An")]
    return [w.word for w in jieba.posseg.lcut(answer) if w.flag in ("nr", "ns", "nt", "nrt", "nz") and len(w.word) > 1]


CATEGORIES = ("supported: verbatim", "supported: light rephrasing", "supported: the source sentence",
              "unsupported: other paragraph's answer", "unsupported: number or date changed",
              "unsupported: name swapped", "unsupported: claim added", "unsupported: negation added",
              "unsupported: negation removed", "other question's answer (same paragraph)",
              "short: yes/no", "short: one character", "short: a lone word of the paragraph")
CLAIMS = {
    "en": [", which is the largest in the world", ", founded in {year}", ", led by {name}", " in {place}",
           ", about {n} percent of the total", ", which was first reported in {year}", ", the oldest of its kind",
           " and {name}", ", mostly because of heavy rain", ", although it was later abandoned in {place}"],
    "zh": ["，是世界上最大的", "，成立于{year}年", "，由{name}领导", "，位于{place}", "，约占总数的{n}%", "，这是历史上第一次",
           "和{name}", "，后来被废弃", "，主要原因是暴雨", "，于{year}年首次报道"],
}
PLACES = {"en": ["Paris", "Tokyo", "Berlin", "Cairo", "Sydney", "Toronto", "Madrid", "Moscow", "Lima", "Oslo"],
          "zh": ["上海", "广州", "成都", "西安", "拉萨", "昆明", "哈尔滨", "南京", "重庆", "乌鲁木齐"]}
YES_NO = {"en": ["Yes.", "No.", "yes", "No, it isn't.", "True."], "zh": ["是。", "不是。", "对。", "是的。", "没有。", "否"]}
_AUXILIARY = re.compile(r"\b(is|was|are|were|has|had|have|can|could|will|would|did|does|do)\b")
_NEGATED_EN = re.compile(r" (?:not|never)\b|n't\b")
_NEGATED_ZH = re.compile(r"没有|不是|不|没|未")


def _sentences(context: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|(?<=[。！？；])", context) if s.strip()]


def _sentence_of(context: str, answer: str, start: int) -> str | None:
    """The sentence holding the answer where the annotator marked it (else its first occurrence)."""
    at = 0
    for sentence in _sentences(context):
        at = context.find(sentence, at)
        if answer in sentence and sentence != answer and (start < 0 or at <= start < at + len(sentence)):
            return sentence
        at += len(sentence)
    return None


def _fresh(options: list[str], context: str, rng) -> str | None:
    options = [o for o in options if _plain(o) not in context]
    return rng.choice(options) if options else None


def _claim(answer: str, sentence: str | None, lang: str, context: str, name_pool, rng) -> str | None:
    """A right answer (or its source sentence) with a clause the text does not make."""
    template = rng.choice(CLAIMS[lang])
    year = next((y for y in (str(rng.randint(1700, 2030)) for _ in range(20)) if y not in context), "1703")
    name = _fresh([n for _, n in rng.sample(name_pool, min(30, len(name_pool)))], context, rng)
    place = _fresh(PLACES[lang], context, rng)
    if ("{name}" in template and not name) or ("{place}" in template and not place):
        return None
    clause = template.format(year=year, name=name, place=place, n=rng.randint(11, 97))
    base = sentence if sentence and rng.random() < 0.5 else answer
    base = base.rstrip("。.！!？?")
    return base + clause + ("。" if lang == "zh" else ".")


def _negate(sentence: str, lang: str) -> str | None:
    """The source sentence with a negation added ("was not", "不是"), or None when it has no verb to negate."""
    if lang == "en":
        found = _AUXILIARY.search(sentence)
        return sentence[:found.end()] + " not" + sentence[found.end():] if found else None
    for word, negated in (("是", "不是"), ("有", "没有"), ("在", "不在"), ("被", "没有被"), ("能", "不能")):
        if word in sentence and negated not in sentence:
            return sentence.replace(word, negated, 1)
    return None


def _unnegate(sentence: str, lang: str) -> str | None:
    """A sentence of the source with its negation dropped, or None when it has none."""
    pattern = _NEGATED_EN if lang == "en" else _NEGATED_ZH
    found = pattern.search(sentence)
    if not found or (lang == "zh" and sentence[found.end():found.end() + 1] in "常洲来论过断仅但久少数同管"):
        return None
    keep = {"没有": "有", "不是": "是"}.get(found.group(), "")
    return sentence[:found.start()] + keep + sentence[found.end():]


def _lone_word(context: str, question: str, answer: str, lang: str, rng) -> str | None:
    if lang == "en":
        words = [w for w in re.findall(r"[a-z]{4,}", context) if w not in question.lower() and w not in answer.lower()]
    else:
        words = [w.word for w in jieba.posseg.lcut(context[:300]) if len(w.word) == 2 and re.fullmatch(r"[\u4e00-\u9fff]+", w.word)
                 and w.word not in question and w.word not in answer]
    return rng.choice(words) if words else None


def grounding_cases(paragraphs: list[dict], lang: str, seed: int) -> dict[str, list[tuple[int, str, str]]]:
    """{category: [(paragraph index, question, answer)]}."""
    rng = random.Random(f"{lang}:{seed}")
    extra = random.Random(f"{lang}:{seed}:issue12")  # the newer kinds draw apart, so older rows stay put
    cases: dict[str, list] = {name: [] for name in CATEGORIES}
    name_pool = [(i, name) for i, p in enumerate(paragraphs) for _, a in p["pairs"] for name in _names(a, lang)]
    for index, paragraph in enumerate(paragraphs):
        context = _plain(paragraph["context"])
        for question, answer in paragraph["pairs"]:
            cases["supported: verbatim"].append((index, question, answer))
            cases["supported: light rephrasing"].append((index, question, _paraphrase(question, answer, lang, rng)))
            for _ in range(20):
                other = rng.choice(paragraphs)
                foreign = rng.choice(other["pairs"])[1]
                if _plain(foreign) and _plain(foreign) not in context:
                    cases["unsupported: other paragraph's answer"].append((index, question, foreign))
                    break
            changed = _change_number(answer, rng)
            if changed:
                cases["unsupported: number or date changed"].append((index, question, changed))
            names = _names(answer, lang)
            if names:
                name = rng.choice(names)
                for _ in range(20):
                    source_index, other_name = rng.choice(name_pool)
                    if source_index != index and _plain(other_name) not in context:
                        cases["unsupported: name swapped"].append((index, question, answer.replace(name, other_name)))
                        break
            others = [a for q, a in paragraph["pairs"] if q != question and _plain(a) not in _plain(answer)
                      and _plain(answer) not in _plain(a)]
            if others:
                cases["other question's answer (same paragraph)"].append((index, question, rng.choice(others)))
            _issue12_cases(cases, index, paragraph, question, answer, lang, context, name_pool, extra)
        for sentence in _sentences(paragraph["context"]):
            unnegated = _unnegate(sentence, lang)
            asked = next((q for q, a in paragraph["pairs"] if a in sentence), None)
            if unnegated and asked:
                cases["unsupported: negation removed"].append((index, asked, unnegated))
    return cases


def _issue12_cases(cases, index, paragraph, question, answer, lang, context, name_pool, rng) -> None:
    sentence = _sentence_of(paragraph["context"], answer, paragraph.get("starts", {}).get(question, -1))
    if sentence:
        cases["supported: the source sentence"].append((index, question, sentence))
        negated = _negate(sentence, lang)
        if negated:
            cases["unsupported: negation added"].append((index, question, negated))
    claimed = _claim(answer, sentence, lang, context, name_pool, rng)
    if claimed:
        cases["unsupported: claim added"].append((index, question, claimed))
    cases["short: yes/no"].append((index, question, rng.choice(YES_NO[lang])))
    characters = [c for c in paragraph["context"] if c.isalpha() and (lang == "en" or ord(c) > 0x3400)]
    if lang == "zh" and characters:
        cases["short: one character"].append((index, question, rng.choice(characters)))
    lone = _lone_word(paragraph["context"], question, answer, lang, rng)
    if lone:
        cases["short: a lone word of the paragraph"].append((index, question, lone))


def eval_grounding(corpora, seed):
    """{(category, lang): [(support, grounded at threshold 0)]}, and ms per pair.

    An answer is grounded at threshold t when it is grounded at 0 (no wrong number or
    name) and its support reaches t, so one run gives every threshold.
    """
    results, elapsed, count = {}, 0.0, 0
    for lang, paragraphs in corpora.items():
        for category, cases in grounding_cases(paragraphs, lang, seed).items():
            by_paragraph: dict[int, list[dict]] = {}
            for index, question, answer in cases:
                by_paragraph.setdefault(index, []).append({"question": question, "answer": answer})
            verdicts = []
            for index, pairs in by_paragraph.items():
                started = time.perf_counter()
                checked = ground(pairs, paragraphs[index]["context"], threshold=0.0)
                elapsed += time.perf_counter() - started
                count += len(pairs)
                verdicts += [(pair["support"], pair["grounded"], pair["verdict"]) for pair in checked]
            results[(category, lang)] = verdicts
    return results, 1000 * elapsed / max(count, 1)


def flagged_rate(verdicts, threshold: float) -> float:
    """The share not called grounded at the threshold (unsupported or unverifiable)."""
    flagged = sum(not (grounded and support >= threshold) for support, grounded, _ in verdicts)
    return flagged / max(len(verdicts), 1)


def verdict_rate(verdicts, verdict: str) -> float:
    return sum(v == verdict for _, _, v in verdicts) / max(len(verdicts), 1)


def grounding_speed(corpora, pairs: int = 1000, seed: int = 0) -> tuple[int, int, float]:
    """(pairs, chunks, seconds) to ground `pairs` mixed answers against their chunks, as a dataset run does."""
    cases = []
    for lang, paragraphs in corpora.items():
        for category, items in grounding_cases(paragraphs, lang, seed).items():
            cases += [(lang, index, question, answer) for index, question, answer in items]
    chosen = random.Random(seed).sample(cases, min(pairs, len(cases)))
    by_chunk: dict[tuple[str, int], list[dict]] = {}
    for lang, index, question, answer in chosen:
        by_chunk.setdefault((lang, index), []).append({"question": question, "answer": answer})
    started = time.perf_counter()
    for (lang, index), items in by_chunk.items():
        ground(items, corpora[lang][index]["context"])
    return len(chosen), len(by_chunk), time.perf_counter() - started


