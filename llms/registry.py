"""Map the model ids of a config to backend instances; an unknown id is a typed error."""

from __future__ import annotations

from llms.base import RemoteLLMs
from llms.config import ModelsConfig, LocalModelConfig, OpenAIModelConfig
from llms.errors import UnknownModelError
from llms.options import GenerationOptions

# Model ids older scripts used: "1" was ChatGPT and "2" ChatGLM.
ALIASES = {"1": "chatgpt", "2": "chatglm"}


class Registry:
    """The configured models, built once; local models load on first use."""

    def __init__(self, config: ModelsConfig):
        self.config = config
        defaults = GenerationOptions(max_tokens=config.max_tokens, temperature=config.temperature)
        self._defaults = defaults
        self._models: dict[str, RemoteLLMs] = {
            model_id: build_model(model_id, settings, defaults) for model_id, settings in config.models.items()
        }

    def ids(self) -> list[str]:
        return list(self._models)

    def get(self, model_id: str) -> RemoteLLMs:
        model_id = ALIASES.get(model_id, model_id) if model_id not in self._models else model_id
        try:
            return self._models[model_id]
        except KeyError:
            raise UnknownModelError(model_id, self.ids()) from None

    def add_adapter(self, base_id: str, name: str, adapter_path: str, display_name: str | None = None) -> str:
        """Serve the local model `base_id` with a LoRA adapter as its own model id ("base+name"); returns the id.
        Adding the same id again replaces it (a retrained adapter)."""
        from llms.adapters import adapter_model_id

        base = self.config.models.get(ALIASES.get(base_id, base_id))
        if not isinstance(base, LocalModelConfig):
            raise UnknownModelError(base_id, [i for i, s in self.config.models.items() if isinstance(s, LocalModelConfig)])
        model_id = adapter_model_id(ALIASES.get(base_id, base_id), name)
        settings = base.model_copy(update={"adapter_path": str(adapter_path),
                                           "name": display_name or f"{base.name or base_id} + {name}"})
        self._models[model_id] = build_model(model_id, settings, self._defaults)
        return model_id

    def remove_adapter(self, model_id: str) -> None:
        """Stop serving a model id that add_adapter made (configured ids stay)."""
        if model_id not in self.config.models:
            self._models.pop(model_id, None)

    def __iter__(self):
        return iter(self._models.values())


def build_model(model_id: str, settings, defaults: GenerationOptions) -> RemoteLLMs:
    if isinstance(settings, OpenAIModelConfig):
        from llms.chatgpt import ChatGPTLLM

        return ChatGPTLLM(model_id, settings, defaults)
    if isinstance(settings, LocalModelConfig):
        from llms.chatglm import ChatGLMLLM

        return ChatGLMLLM(model_id, settings, defaults)
    raise TypeError(f"no backend for {type(settings).__name__}")
