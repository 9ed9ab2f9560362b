"""Build a tiny random GLM-4 chat model on disk, for tests and smoke runs.

`python -m llms.tiny_model DIR` writes a checkpoint that AutoTokenizer and
AutoModelForCausalLM load like any hub model: a byte-level BPE tokenizer
trained on Chinese and English text, a GLM-4 style chat template and random
weights. Its replies are gibberish by design; everything around them is real.
`--size bench` builds the ~0.3B-parameter model the benchmarks use.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

# GLM-4's role and control tokens; <|user|> also ends an assistant turn.
SPECIAL_TOKENS = [
    "<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>",
    "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>",
]
EOS_TOKENS = ["<|endoftext|>", "<|user|>", "<|observation|>"]

CHAT_TEMPLATE = (
    "[gMASK]<sop>"
    "{% for message in messages %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

SIZES = {
    # ~1 MB: fast enough to build once per test session.
    "tiny": dict(vocab=3000, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, head_dim=16),
    # ~0.3B params: the benchmark's mid-size model.
    "bench": dict(vocab=32000, hidden_size=1024, intermediate_size=4096, num_hidden_layers=16,
                  num_attention_heads=16, num_key_value_heads=4, head_dim=64),
    # ~1.03B params: for resident-memory measurements of quantization.
    "1b": dict(vocab=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=20,
               num_attention_heads=16, num_key_value_heads=4, head_dim=128),
}

_BUILTIN_CORPUS = [
    "The quick brown fox jumps over the lazy dog. Question 1: What is it? Answer 1: A fox.",
    "Super Bowl 50 was an American football game to determine the champion of the NFL.",
    "Machine reading comprehension asks a model to answer questions about a passage.",
    "问题一：这段文字讲了什么？答案一：它讲了机器阅读理解。",
    "中国的首都是北京。长江是中国最长的河流，全长约6300公里。",
    "请根据下面的文本生成问题和答案，每个答案都必须来自原文。",
    "范廷颂枢机（1919年6月15日－2009年2月17日），圣名保禄·若瑟，是越南罗马天主教枢机。",
]


def _corpus(prompts_dir: Path, vocab_size: int) -> list[str]:
    """Training text: the bundled prompts (zh and en), a few built-in lines and, for
    the rest of the vocabulary, seeded pseudo-words of Latin letters and common CJK characters,
    enough for BPE to learn `vocab_size` merges."""
    lines = list(_BUILTIN_CORPUS)
    for path in sorted(prompts_dir.glob("*.txt")):
        lines.extend(line for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    lines *= 4
    rng = random.Random(0)
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [chr(c) for c in range(0x4E00, 0x4E00 + 2500)]
    for _ in range(vocab_size * 3):
        lines.append(" ".join("".join(rng.choices(letters, k=rng.randint(2, 6))) for _ in range(8)))
    return lines


def build_tokenizer(vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(_corpus(Path(__file__).resolve().parent.parent / "prompts", vocab_size), trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL_TOKENS[1:], padding_side="left",
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build(out_dir: str | Path, size: str = "tiny", seed: int = 0) -> Path:
    """Write a random GLM-4 chat model of the given size to `out_dir`."""
    import torch
    from transformers import GenerationConfig, Glm4Config, Glm4ForCausalLM

    spec = dict(SIZES[size])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(spec.pop("vocab"))
    eos_ids = tokenizer.convert_tokens_to_ids(EOS_TOKENS)
    config = Glm4Config(
        vocab_size=len(tokenizer), max_position_embeddings=4096,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=eos_ids, **spec,
    )
    torch.manual_seed(seed)
    model = Glm4ForCausalLM(config).to(torch.bfloat16)
    model.generation_config = GenerationConfig(
        eos_token_id=eos_ids, pad_token_id=tokenizer.pad_token_id,
        do_sample=True, temperature=0.8, top_p=0.8,
    )
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m llms.tiny_model", description=__doc__.splitlines()[0])
    parser.add_argument("dir", help="folder to write the model into")
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    path = build(args.dir, args.size, args.seed)
    print(f"wrote a random GLM-4 ({args.size}) chat model to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
