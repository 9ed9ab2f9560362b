"""The terminal dialogue behind `python -m llms.chatglm` and `python -m llms.chatgpt`.

Reads a line, streams the reply as it is generated and keeps the history;
`/clear` forgets it; `exit`, `quit` or end of input ends with status 0. Works
with piped stdin. A bad config prints one line naming the file and field and
exits 2; a model that cannot be loaded says what to configure and exits 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import prompts
from prompts.language import detect_language
from llms.config import ModelsConfig, load_config
from llms.errors import ConfigError, LLMError, ModelUnavailableError
from llms.registry import Registry

EXIT_WORDS = {"exit", "quit"}


def parse_args(argv, backend: str, default_model_id: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m llms.{default_model_id}",
                                     description="Talk to a configured model in the terminal.")
    parser.add_argument("--config", required=True, help="config file (see cfg.example.json)")
    parser.add_argument("--model", default=None,
                        help=f"model id from the config (default: {default_model_id!r}, "
                             f"else the first {backend} model)")
    parser.add_argument("--adapter", default=None,
                        help="a LoRA adapter folder (python -m llms.finetune) served on top of the local model "
                             "as model id MODEL+FOLDERNAME")
    parser.add_argument("--max_tokens", type=int, default=None, help="most tokens per reply")
    parser.add_argument("--temperature", type=float, default=None, help="0 = greedy")
    parser.add_argument("--prompt", default=None,
                        help=f"system prompt: a file, or a preset ({', '.join(prompts.preset_names())}); "
                             "default: the model's preset for the language of each message")
    return parser.parse_args(argv)


def pick_model_id(config: ModelsConfig, backend: str, wanted: str | None, default_id: str) -> str:
    if wanted:
        return wanted
    if default_id in config.models and config.models[default_id].backend == backend:
        return default_id
    for model_id, settings in config.models.items():
        if settings.backend == backend:
            return model_id
    raise ConfigError(f"no model with backend {backend!r} in the config", param="models")


def read_prompt(value: str | None) -> str | None:
    if value is None:
        return None
    if value in prompts.preset_names():
        return prompts.load_preset(value)
    path = Path(value)
    if not path.is_file():
        raise ConfigError(f"--prompt {value!r} is neither a file nor a preset "
                          f"({', '.join(prompts.preset_names())})", param="prompt")
    return path.read_text(encoding="utf-8").strip()


def main(argv=None, *, backend: str, default_model_id: str) -> int:
    args = parse_args(argv, backend, default_model_id)
    try:
        config = load_config(args.config)
        registry = Registry(config)
        model_id = pick_model_id(config, backend, args.model, default_model_id)
        if args.adapter:
            model_id = registry.add_adapter(model_id, Path(args.adapter).name, args.adapter)
        model = registry.get(model_id)
        system_prompt = read_prompt(args.prompt)
        model.options(max_tokens=args.max_tokens, temperature=args.temperature)  # validate early
    except LLMError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"{model.display_name} — type a message; /clear forgets the conversation, exit or Ctrl-D ends.")
    while True:
        if interactive:
            print("> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            break
        query = line.strip()
        if not query:
            continue
        if query.lower() in EXIT_WORDS:
            break
        if query == "/clear":
            model.clear_history()
            print("(conversation cleared)", flush=True)
            continue
        prompt = system_prompt or prompts.load_preset(
            prompts.default_preset(model.preset_family, detect_language(query)))
        try:
            for piece in model.interactive_dialogue(query, prompt, args.max_tokens, args.temperature):
                sys.stdout.write(piece)
                sys.stdout.flush()
            print(flush=True)
        except LLMError as exc:
            print(f"\nerror: {exc.message}", file=sys.stderr)
            if isinstance(exc, ModelUnavailableError):  # nothing more can be answered
                return 1
    return 0
