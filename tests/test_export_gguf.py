"""`ftui export --gguf`: transformers reads the exported file back and gives the fp16-rounded model's logits.

Tiny random models (hidden 64, 2 layers) per family, with the real tokenizers (SmolLM2's byte-level BPE,
Mistral v1's SentencePiece BPE). Each is saved as a full-weights run folder, exported, and loaded back
with `gguf_file=`: the loader undoes llama.cpp's layout (q/k permutation, Gemma's norm + 1), so equal
logits mean the file holds the model in llama.cpp's conventions.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CACHE, _atomic_build, mistral_tokenizer_path, smollm_model_path

PROMPTS = ["Hello, how are you today?", "The capital of France is", "1, 2, 3, 4,"]
PROMPTS_DIR = Path(__file__).resolve().parent.parent / "templates" / "prompts"

GEMMA = {"head_dim": 256, "tie_word_embeddings": True}
# family -> (config class, model class, tokenizer, extra config, shipped chat template)
FAMILIES = {
    "llama": ("LlamaConfig", "LlamaForCausalLM", "smollm", {}, None),
    "mistral": ("MistralConfig", "MistralForCausalLM", "mistral", {"sliding_window": None}, "mistral"),
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM", "smollm", {"tie_word_embeddings": True}, "qwen_25"),
    # transformers' GGUF reader takes Qwen3's head size from its config default (128), as real Qwen3 has
    "qwen3": ("Qwen3Config", "Qwen3ForCausalLM", "smollm", {"head_dim": 128}, "qwen3"),
    # llama.cpp scales Gemma's attention by 1/sqrt(head_dim) and reads its output head from the embedding:
    # as real Gemma 2/3 (head_dim 256 = query_pre_attn_scalar, tied embeddings)
    "gemma2": ("Gemma2Config", "Gemma2ForCausalLM", "mistral", GEMMA, "gemma"),
    "gemma3": ("Gemma3TextConfig", "Gemma3ForCausalLM", "mistral", GEMMA, "gemma3"),
    # Gemma 3 4B+ is an image-text model: its language model is exported, read back as Gemma3ForCausalLM
    "gemma3-vision": ("Gemma3Config", "Gemma3ForConditionalGeneration", "mistral", GEMMA, "gemma3"),
}
READ_BACK = {"mistral": {"LlamaForCausalLM", "MistralForCausalLM"}, "gemma3-vision": {"Gemma3ForCausalLM"}}
TINY_VISION = dict(
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=1,
    num_attention_heads=2,
    image_size=28,
    patch_size=14,
)


def tiny_family_model(family: str) -> Path:
    """A random tiny model of `family` saved with a real tokenizer (a full-weights run folder)."""
    config_cls, model_cls, tok_name, extra, template = FAMILIES[family]

    def build(tmp: Path) -> None:
        import torch
        import transformers
        from transformers import AutoTokenizer

        tok_dir = smollm_model_path() if tok_name == "smollm" else mistral_tokenizer_path()
        tok = AutoTokenizer.from_pretrained(tok_dir)
        if template:
            tok.chat_template = (PROMPTS_DIR / f"{template}.jinja").read_text(encoding="utf-8")
        settings = dict(
            vocab_size=len(tok),
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=2048,
            tie_word_embeddings=False,
            bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id,
            pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id,
        )
        if family.startswith("gemma"):
            settings["query_pre_attn_scalar"] = 256
        settings.update(extra)
        torch.manual_seed(0)
        if family == "gemma3-vision":
            config = transformers.Gemma3Config(
                text_config=settings, vision_config=TINY_VISION, mm_tokens_per_image=4
            )
        else:
            config = getattr(transformers, config_cls)(**settings)
        model = getattr(transformers, model_cls)(config)
        with torch.no_grad():  # random norms, so a wrong norm convention (Gemma's + 1) shows in the logits
            for name, param in model.named_parameters():
                if name.endswith("norm.weight"):
                    param.uniform_(-0.5, 0.5) if family.startswith("gemma") else param.uniform_(0.5, 1.5)
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)

    return _atomic_build(CACHE / f"tiny-export-{family}", build)


def _fp16_reference(model_dir: Path):
    """The model with every weight rounded to fp16, computed in fp32: what an f16 GGUF holds."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(param.half().float())
    return model


def _load_gguf(path: Path):
    """transformers' own GGUF reader, made quicker without changing what it reads: it opens the file twice
    (config, then weights; each parse walks every tokenizer array element by element, seconds for a 49k vocab)
    and rebuilds gguf's pure tensor-name map once per tensor. Both are memoized for this one call."""
    import functools
    from unittest import mock

    import gguf
    import torch
    from transformers import AutoModelForCausalLM

    readers: dict[tuple, gguf.GGUFReader] = {}
    real_reader = gguf.GGUFReader

    def reader(file, *args, **kwargs):
        key = (str(file), args, tuple(sorted(kwargs.items())))
        if key not in readers:
            readers[key] = real_reader(file, *args, **kwargs)
        return readers[key]

    name_map = functools.lru_cache(maxsize=None)(gguf.get_tensor_name_map)
    with mock.patch.object(gguf, "GGUFReader", reader), mock.patch.object(gguf, "get_tensor_name_map", name_map):
        model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
    return model.eval()


def _relative_error(reference, other, ids) -> float:
    import torch

    with torch.no_grad():
        a, b = reference(input_ids=ids).logits, other(input_ids=ids).logits
    return float((a - b).abs().max() / a.abs().max())


def _greedy(model, ids, n: int = 12) -> list[int]:
    import torch

    with torch.no_grad():
        out = model.generate(input_ids=ids, max_new_tokens=n, do_sample=False, pad_token_id=0)
    return out[0, ids.shape[1] :].tolist()


def _run_folder(tmp_path: Path, family: str) -> Path:
    run = tmp_path / f"run-{family}"
    shutil.copytree(tiny_family_model(family), run)
    return run


@pytest.mark.slow
@pytest.mark.parametrize("family", list(FAMILIES))
def test_f16_export_reads_back_with_the_same_logits(tmp_path, family):
    import torch
    from ftui.core.export.gguf_file import export_gguf
    from transformers import AutoTokenizer

    run = _run_folder(tmp_path, family)
    result = export_gguf(run, "f16", say=lambda _m: None)
    assert result.path == run / "export" / f"run-{family}-f16.gguf" and result.path.exists()
    assert (run / "export" / "Modelfile").exists()
    reference, exported = _fp16_reference(run), _load_gguf(result.path)
    # llama.cpp runs Mistral as llama; transformers reads it back as either
    assert type(exported).__name__ in READ_BACK.get(family, {FAMILIES[family][1]})
    tok = AutoTokenizer.from_pretrained(run)
    for prompt in PROMPTS:
        ids = torch.tensor([tok(prompt)["input_ids"]])
        assert _relative_error(reference, exported, ids) < 1e-3, prompt
        assert _greedy(exported, ids) == _greedy(reference, ids), prompt


@pytest.mark.slow
def test_file_carries_tokenizer_chat_template_and_special_ids(tmp_path):
    import gguf
    from ftui.core.export.gguf_file import export_gguf
    from transformers import AutoTokenizer

    for family, model in (("qwen2", "gpt2"), ("mistral", "llama")):
        run = _run_folder(tmp_path, family)
        path = export_gguf(run, "f16", say=lambda _m: None).path
        tok = AutoTokenizer.from_pretrained(run)
        fields = gguf.GGUFReader(path).fields
        value = lambda key, fields=fields: fields[key].contents()  # noqa: E731
        assert value("tokenizer.ggml.model") == model
        assert len(value("tokenizer.ggml.tokens")) == len(tok) == len(value("tokenizer.ggml.token_type"))
        assert value("tokenizer.chat_template") == tok.chat_template
        assert value("tokenizer.ggml.eos_token_id") == tok.eos_token_id
        assert ("tokenizer.ggml.merges" in fields) and ("tokenizer.ggml.scores" in fields) == (
            model == "llama"
        )
        if model == "llama":
            assert value("tokenizer.ggml.bos_token_id") == tok.bos_token_id == 1
            assert value("tokenizer.ggml.add_bos_token") is True
            byte = value("tokenizer.ggml.tokens").index("<0x0A>")
            assert value("tokenizer.ggml.token_type")[byte] == gguf.TokenType.BYTE
        read_back = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
        for text in [*PROMPTS, " leading space", "naïve café 😀", "two\n\nlines"]:
            assert read_back(text)["input_ids"] == tok(text)["input_ids"], (family, text)


def test_llama3_rope_factors_follow_llama_cpp_rule():
    """rope_freqs for Llama 3.1 scaling, against the rule written out (llama.cpp's converter's)."""
    import math

    from ftui.core.export.arch import llama3_rope_factors
    from transformers import LlamaConfig

    rope = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}  # fmt: skip
    config = LlamaConfig(hidden_size=256, num_attention_heads=2, max_position_embeddings=131072,
                         rope_parameters=rope)  # fmt: skip
    dim = 128
    expected = []
    for i in range(0, dim, 2):
        wavelen = 2 * math.pi * rope["rope_theta"] ** (i / dim)
        low, high = 8192 / rope["low_freq_factor"], 8192 / rope["high_freq_factor"]
        if wavelen < high:
            expected.append(1.0)
        elif wavelen > low:
            expected.append(rope["factor"])
        else:
            smooth = (8192 / wavelen - rope["low_freq_factor"]) / (
                rope["high_freq_factor"] - rope["low_freq_factor"]
            )
            expected.append(1 / ((1 - smooth) / rope["factor"] + smooth))
    got = llama3_rope_factors(config)
    assert got.shape == (dim // 2,)
    assert max(abs(a - b) / b for a, b in zip(got.tolist(), expected, strict=True)) < 1e-5
    assert got.min() == pytest.approx(1.0) and got.max() == pytest.approx(8.0)


def test_untied_head_on_an_arch_without_one_is_refused():
    import torch
    from ftui.core.errors import UserError
    from ftui.core.export.arch import ARCHS
    from ftui.core.export.gguf_file import _add_weights
    from transformers import Gemma2Config

    config = Gemma2Config(num_hidden_layers=1)
    with pytest.raises(UserError, match="not tied"):
        _add_weights(
            None, {"lm_head.weight": torch.zeros(2, 2)}, ARCHS["Gemma2ForCausalLM"], "f16", config, []
        )


@pytest.mark.slow
def test_low_bit_types_keep_embedding_and_head_in_q8_0(tmp_path):
    import gguf
    from ftui.core.export.gguf_file import export_gguf

    run = _run_folder(tmp_path, "llama")
    path = export_gguf(run, "q4_0", say=lambda _m: None).path
    types = {t.name: t.tensor_type for t in gguf.GGUFReader(path).tensors}
    assert types["token_embd.weight"] == types["output.weight"] == gguf.GGMLQuantizationType.Q8_0
    assert types["blk.0.attn_q.weight"] == types["blk.1.ffn_down.weight"] == gguf.GGMLQuantizationType.Q4_0
    assert types["blk.0.attn_norm.weight"] == gguf.GGMLQuantizationType.F32
    fields = gguf.GGUFReader(path).fields
    assert fields["general.file_type"].contents() == gguf.LlamaFileType.MOSTLY_Q4_0
