"""The CUDA path of the local engine: bf16 and bitsandbytes 4/8-bit, concurrent sampled and greedy requests.

Runs only where PyTorch sees a CUDA GPU; elsewhere every test here is skipped with the reason
"no CUDA GPU: the CUDA path (bf16, bitsandbytes 4/8-bit, sampling) was not exercised".
"""

from __future__ import annotations

import pytest
import torch

from llms.base import Response
from llms.chatglm import ChatGLMLLM
from llms.config import LocalModelConfig
from llms.engine_request import _Request
from llms.options import GenerationOptions
from tests.helpers import QUESTIONS, in_threads

pytestmark = pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="no CUDA GPU: the CUDA path (bf16, bitsandbytes 4/8-bit, sampling) was not exercised")


def test_the_sampling_generator_lives_on_the_logits_device():
    opts = GenerationOptions(temperature=1.0, seed=3)
    request = _Request([1], opts, Response(None, [], opts), tokenizer=None)
    logits = torch.randn(50, device="cuda")
    token = request.sample(logits)
    assert 0 <= token < 50 and request.generator.device == logits.device


@pytest.mark.parametrize("quantize", [None, 8, 4])
def test_sampled_and_greedy_requests_batch_on_cuda(tiny_model_path, quantize):
    if quantize:
        pytest.importorskip("bitsandbytes", reason="bitsandbytes is not installed")
    model = ChatGLMLLM("chatglm", LocalModelConfig(backend="local", model_path=tiny_model_path, device="cuda",
                                                   quantize=quantize))
    assert model.load().device == "cuda"
    assert model.dtype_choice()["dtype"] in ("bfloat16", "float16")
    settings = [dict(temperature=0.9, seed=1), dict(temperature=0), dict(temperature=1.2, top_p=0.8, seed=2),
                dict(temperature=0.7, seed=1)]
    replies: list = [None] * len(settings)

    def client(i):
        response = model.respond(model.create_prompt(QUESTIONS[i]), max_tokens=16, **settings[i])
        replies[i] = (response.text(), response)

    in_threads(client, len(settings))
    for text, response in replies:
        assert response.finish_reason in {"stop", "length"}
        assert 0 < response.usage.completion_tokens <= 16
    again = model.respond(model.create_prompt(QUESTIONS[0]), max_tokens=16, **settings[0])
    assert again.text() == replies[0][0]  # a seed repeats its reply on the GPU too
