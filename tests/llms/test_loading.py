"""llms.loading: the hardware-aware dtype (CPU flags and GPU capability injected), what loading reports, and
which load failures are retried."""

from __future__ import annotations

import pytest

from llms import loading
from llms.chatglm import ChatGLMLLM
from llms.config import LocalModelConfig
from llms.errors import ModelUnavailableError

AVX2 = {"sse4_2", "avx", "avx2", "fma"}
ICE_LAKE = AVX2 | {"avx512f", "avx512bw", "avx512vl", "avx512_vnni"}  # AVX-512 without bf16
ZEN4 = ICE_LAKE | {"avx512_bf16"}
SAPPHIRE_RAPIDS = ZEN4 | {"amx_tile", "amx_bf16", "amx_int8"}


def settings(**extra) -> LocalModelConfig:
    return LocalModelConfig(backend="local", **extra)


@pytest.mark.parametrize(("flags", "dtype", "because"), [
    (AVX2, "float32", "no native bfloat16"),
    (ICE_LAKE, "float32", "no native bfloat16"),
    (ZEN4, "bfloat16", "natively (avx512_bf16)"),
    (SAPPHIRE_RAPIDS, "bfloat16", "natively (avx512_bf16, amx_bf16)"),
    (AVX2 | {"amx_bf16"}, "bfloat16", "natively (amx_bf16)"),
])
def test_auto_on_cpu_picks_bf16_only_where_it_is_native(flags, dtype, because):
    chosen, reason = loading.choose_dtype("auto", "cpu", flags=flags)
    assert chosen == dtype
    assert because in reason and reason.startswith("auto:")


@pytest.mark.parametrize(("bf16", "dtype"), [(True, "bfloat16"), (False, "float16")])
def test_auto_on_cuda_follows_the_gpu(bf16, dtype):
    chosen, reason = loading.choose_dtype("auto", "cuda", cuda_bf16=bf16)
    assert chosen == dtype and "GPU" in reason


def test_an_explicit_dtype_is_kept_and_says_so():
    assert loading.choose_dtype("bfloat16", "cpu", flags=AVX2) == ("bfloat16", "dtype bfloat16 is set in the config")


def test_quantized_settings_report_the_dtype_they_compute_in():
    assert loading.plan_dtype(settings(quantize=8), "cpu", flags=ZEN4)[0] == "float32"
    assert loading.plan_dtype(settings(quantize=4), "cpu", flags=AVX2)[0] == "bfloat16"
    dtype, reason = loading.plan_dtype(settings(quantize=4), "cuda", cuda_bf16=False)
    assert dtype == "float16" and "bitsandbytes 4-bit" in reason
    # float32 is no compute dtype for bitsandbytes: it falls back to the GPU's half type
    assert loading.plan_dtype(settings(quantize=8, dtype="float32"), "cuda", cuda_bf16=True)[0] == "bfloat16"


def test_this_machines_flags_are_read():
    flags = loading.cpu_flags()
    if flags is None:
        pytest.skip("no /proc/cpuinfo on this system")
    assert "fpu" in flags or "sse2" in flags or flags  # x86 lists fpu/sse2; other CPUs list their own


def test_the_loaded_model_and_api_report_the_auto_choice(tiny_model_path):
    llm = ChatGLMLLM("glm", settings(model_path=tiny_model_path, device="cpu"))
    planned = llm.dtype_choice()
    assert (planned["dtype"], planned["reason"]) == loading.choose_dtype("auto", "cpu")
    loaded = llm.load()
    assert loaded.dtype == planned["dtype"]
    assert str(loaded.model.dtype) == f"torch.{planned['dtype']}"
    assert llm.dtype_choice() == planned


def test_api_models_shows_dtype_and_reason(client):
    local = next(m for m in client.get("/api/models").json["data"] if m["backend"] == "local")
    assert local["dtype"]["dtype"] in ("bfloat16", "float32")
    assert local["dtype"]["reason"]
    remote = next(m for m in client.get("/api/models").json["data"] if m["backend"] == "openai")
    assert remote["dtype"] is None


def test_a_missing_folder_is_a_permanent_failure(tmp_path):
    llm = ChatGLMLLM("glm", settings(model_path=str(tmp_path / "nowhere")))
    with pytest.raises(ModelUnavailableError, match="does not exist"):
        llm.load()
    assert llm.availability()[0] is False


def hub_from(tiny_model_path, monkeypatch, first_failure: BaseException) -> list[str]:
    """Make the hub id "zai-org/glm-test" load the tiny model, except that the first tokenizer load raises."""
    import transformers

    real_tokenizer = transformers.AutoTokenizer.from_pretrained
    real_model = transformers.AutoModelForCausalLM.from_pretrained
    calls: list[str] = []

    def tokenizer(path, **kwargs):
        calls.append(path)
        if len(calls) == 1:
            raise first_failure
        return real_tokenizer(tiny_model_path, **kwargs)

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", staticmethod(tokenizer))
    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained",
                        staticmethod(lambda path, **kwargs: real_model(tiny_model_path, **kwargs)))
    return calls


def chained(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


def test_a_hub_timeout_is_retried_on_the_next_request(tiny_model_path, monkeypatch):
    timeout = chained(OSError("We couldn't connect to 'https://huggingface.co' to load the files"),
                      TimeoutError("The read operation timed out"))
    calls = hub_from(tiny_model_path, monkeypatch, timeout)
    llm = ChatGLMLLM("glm", settings(model_path="zai-org/glm-test", device="cpu"))
    with pytest.raises(loading.TransientLoadError, match="the next request tries again"):
        llm.load()
    assert llm.availability() == (True, None)  # not marked unusable
    assert llm.request_llm(llm.create_prompt("hi"), max_tokens=3, temperature=0) is not None
    assert len(calls) == 2


def test_a_hub_answer_that_the_model_is_missing_is_permanent(tiny_model_path, monkeypatch):
    calls = hub_from(tiny_model_path, monkeypatch, OSError("zai-org/glm-test is not a valid model identifier"))
    llm = ChatGLMLLM("glm", settings(model_path="zai-org/glm-test", device="cpu"))
    for _ in range(2):
        with pytest.raises(ModelUnavailableError) as failure:
            llm.load()
        assert not isinstance(failure.value, loading.TransientLoadError)
    assert len(calls) == 1 and llm.availability()[0] is False
