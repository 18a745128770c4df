"""Shared fixtures: real tokenizers (Mistral v1 sentencepiece, SmolLM2 ChatML) and tiny random models.

Everything is offline. Converted artefacts live in tests/.cache so repeated runs (and xdist workers) reuse them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).parent
REPO_DIR = TESTS_DIR.parent
SHARED_DATASETS = REPO_DIR.parent / "shared" / "datasets"
CACHE = TESTS_DIR / ".cache"

os.environ.setdefault("FTUI_CACHE", str(CACHE / "ftui"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def _atomic_build(target: Path, build) -> Path:
    """Build a folder once; concurrent xdist workers race safely through a rename."""
    if target.exists():
        return target
    tmp = target.with_name(f".{target.name}.{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    build(tmp)
    try:
        os.replace(tmp, target)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def mistral_tokenizer_path() -> Path:
    """A Hugging Face tokenizer folder made from mistral-common's Mistral v1 sentencepiece model."""
    import mistral_common

    source = Path(mistral_common.__file__).parent / "data" / "tokenizer.model.v1"

    def build(tmp: Path) -> None:
        from transformers import LlamaTokenizer

        shutil.copy(source, tmp / "tokenizer.model")
        tok = LlamaTokenizer.from_pretrained(tmp, add_bos_token=True, add_eos_token=False, legacy=False)
        (tmp / "tokenizer.model").unlink()
        tok.save_pretrained(tmp)

    return _atomic_build(CACHE / "mistral-v1-tokenizer", build)


def smollm_model_path() -> Path:
    """The embedded SmolLM2-135M-Instruct converted to a Hugging Face folder (ChatML tokenizer)."""
    from ftui.core.models.embedded import embedded_model_dir

    return embedded_model_dir(progress=False)


def tiny_model_path(tokenizer_dir: Path, name: str = "tiny-llama", **overrides) -> Path:
    """A random Llama-family model (hidden 64, 2 layers) saved together with a real tokenizer."""

    def build(tmp: Path) -> None:
        import torch
        from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

        tok = AutoTokenizer.from_pretrained(tokenizer_dir)
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
        settings.update(overrides)
        torch.manual_seed(0)
        model = LlamaForCausalLM(LlamaConfig(**settings))
        model.save_pretrained(tmp, safe_serialization=True)
        tok.save_pretrained(tmp)

    return _atomic_build(CACHE / name, build)


@pytest.fixture(scope="session")
def mistral_tokenizer_dir() -> Path:
    return mistral_tokenizer_path()


@pytest.fixture(scope="session")
def smollm_dir() -> Path:
    return smollm_model_path()


@pytest.fixture(scope="session")
def tiny_chatml_model_dir(smollm_dir: Path) -> Path:
    """Tiny random Llama with SmolLM2's ChatML tokenizer and chat template."""
    return tiny_model_path(smollm_dir, "tiny-llama-chatml")


@pytest.fixture(scope="session")
def tiny_mistral_model_dir(mistral_tokenizer_dir: Path) -> Path:
    """Tiny random Llama with the Mistral v1 sentencepiece tokenizer."""
    return tiny_model_path(mistral_tokenizer_dir, "tiny-llama-mistral")


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    if not SHARED_DATASETS.exists():
        pytest.fail(f"shared datasets not found at {SHARED_DATASETS}: these tests read ../shared/datasets next to the checkout", pytrace=False)
    return SHARED_DATASETS
