"""`ftui export RUN_DIR --gguf`: write a run's merged model as one GGUF file for llama.cpp and Ollama.

The model is the run's `merged/` folder when it has one, else the LoRA is merged in memory (core/merge.py),
or the run's own full weights. The file is written with the `gguf` package's GGUFWriter and tensor-name
maps: hyper-parameters, the tokenizer (vocab.py), the chat template, the weights in the chosen type. It
goes to a temporary name first and is renamed at the end, so a failed export never leaves half a file.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.export.arch import (
    ArchSpec,
    arch_spec,
    head_dim,
    llama3_rope_factors,
    permute_rows,
    rope_settings,
    text_weights,
)
from ftui.core.runs.layout import EXPORT_DIR

# --quant name -> (GGMLQuantizationType member, LlamaFileType member)
QUANTS: dict[str, tuple[str, str]] = {
    "f16": ("F16", "MOSTLY_F16"),
    "bf16": ("BF16", "MOSTLY_BF16"),
    "f32": ("F32", "ALL_F32"),
    "q8_0": ("Q8_0", "MOSTLY_Q8_0"),
    "q5_1": ("Q5_1", "MOSTLY_Q5_1"),
    "q5_0": ("Q5_0", "MOSTLY_Q5_0"),
    "q4_1": ("Q4_1", "MOSTLY_Q4_1"),
    "q4_0": ("Q4_0", "MOSTLY_Q4_0"),
}
DEFAULT_QUANT = "f16"


@dataclass
class ExportResult:
    path: Path
    modelfile: Path
    source: str  # where the weights came from, in words
    notes: list[str] = field(default_factory=list)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def export_gguf(
    run_dir: str | Path,
    quant: str = DEFAULT_QUANT,
    out_dir: str | Path | None = None,
    say: Callable[[str], None] = _say,
) -> ExportResult:
    """Export and return where the .gguf and its Modelfile are (default RUN_DIR/export/)."""
    from ftui.core.export.load import load_for_export
    from ftui.core.export.modelfile import write_modelfile

    if quant not in QUANTS:
        raise UserError(f"unknown GGUF type {quant!r}", hint=f"choose one of {', '.join(QUANTS)}")
    root = Path(run_dir)
    if not root.is_dir():
        raise UserError(f"run folder not found: {root}", hint="pass a run's output_dir (see `ftui monitor`)")
    loaded = load_for_export(root, say)
    _, spec = arch_spec(loaded.model.config)
    target_dir = Path(out_dir) if out_dir else root / EXPORT_DIR
    target_dir.mkdir(parents=True, exist_ok=True)
    name = root.resolve().name
    path = target_dir / f"{name}-{quant}.gguf"
    notes: list[str] = []
    say(f"writing {path} ({quant}) ...")
    add_bos = _write(path, loaded.model, loaded.tokenizer, spec, quant, name, notes)
    modelfile = write_modelfile(path, loaded.tokenizer, loaded.model, add_bos, notes)
    return ExportResult(path=path, modelfile=modelfile, source=loaded.source, notes=notes)


def _write(
    path: Path, model: Any, tokenizer: Any, spec: ArchSpec, quant: str, name: str, notes: list
) -> bool:
    """Write the file; returns whether readers add BOS themselves (tokenizer.ggml.add_bos_token)."""
    import gguf
    from ftui.core.export.vocab import build_vocab, write_vocab

    config = model.config.get_text_config()
    state = _tensors(model, spec)
    if spec.multimodal:
        notes.append("the vision tower is not exported: the GGUF holds the language model (text only)")
    vocab = build_vocab(tokenizer, state["model.embed_tokens.weight"].shape[0], tokenizer.chat_template)
    notes.extend(vocab.notes)
    tmp = path.with_name(f".{path.name}.partial")
    # use_temp_file: converted tensors spill to a temporary file past 256 MiB instead of piling up in memory
    arch = gguf.MODEL_ARCH_NAMES[getattr(gguf.MODEL_ARCH, spec.gguf_arch)]
    writer = gguf.GGUFWriter(tmp, arch, use_temp_file=True)
    try:
        writer.add_name(name)
        writer.add_file_type(getattr(gguf.LlamaFileType, QUANTS[quant][1]))
        if quant not in ("f16", "bf16", "f32"):
            writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
        extra_tensors = _write_hparams(writer, config, spec, len(vocab.tokens))
        write_vocab(writer, vocab)
        for gguf_name, array in extra_tensors.items():
            writer.add_tensor(gguf_name, array)
        _add_weights(writer, state, spec, quant, config, notes)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file(progress=True)
        writer.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return bool(vocab.special.add_special_token.get("bos", False))


def _tensors(model: Any, spec: ArchSpec) -> dict[str, Any]:
    """The weights to write: tied output heads are the embedding (llama.cpp reads it from token_embd)."""
    state = dict(model.state_dict())
    if spec.multimodal:
        state = text_weights(state)
    tied = getattr(model.config, "tie_word_embeddings", None)
    if tied is None:
        tied = getattr(model.config.get_text_config(), "tie_word_embeddings", False)
    if tied:
        state.pop("lm_head.weight", None)
    return state


def _write_hparams(writer: Any, config: Any, spec: ArchSpec, n_vocab: int) -> dict[str, Any]:
    """The `<arch>.*` keys llama.cpp reads; returns extra tensors some settings need (rope_freqs)."""
    import gguf

    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(getattr(config, "num_key_value_heads", None) or config.num_attention_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_vocab_size(n_vocab)
    dim = head_dim(config)
    if spec.permute_qk:
        writer.add_rope_dimension_count(dim)
    if spec.gguf_arch != "LLAMA" or dim != config.hidden_size // config.num_attention_heads:
        writer.add_key_length(dim)
        writer.add_value_length(dim)
    rope = rope_settings(config)
    if rope.get("rope_theta") is not None:
        writer.add_rope_freq_base(float(rope["rope_theta"]))
    kind = rope["rope_type"]
    extra: dict[str, Any] = {}
    if kind == "linear":
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(rope["factor"]))
    elif kind == "yarn":
        writer.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        writer.add_rope_scaling_factor(float(rope["factor"]))
        if rope.get("original_max_position_embeddings"):
            writer.add_rope_scaling_orig_ctx_len(int(rope["original_max_position_embeddings"]))
    elif kind == "llama3" and spec.permute_qk:
        extra[gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.ROPE_FREQS] + ".weight"] = llama3_rope_factors(config)
    elif kind != "default":
        raise UserError(
            f"GGUF export cannot write rope scaling {kind!r} (config.json rope_scaling)",
            hint="supported rope scaling: none, linear, yarn, llama3",
        )
    if spec.extra is not None:
        spec.extra(writer, config)
    return extra


def _add_weights(writer: Any, state: dict[str, Any], spec: ArchSpec, quant: str, config: Any, notes) -> None:
    import gguf

    names = gguf.get_tensor_name_map(getattr(gguf.MODEL_ARCH, spec.gguf_arch), config.num_hidden_layers)
    qtype = getattr(gguf.GGMLQuantizationType, QUANTS[quant][0])
    q = gguf.GGMLQuantizationType
    low_bit, head_type = (q.Q4_0, q.Q4_1, q.Q5_0, q.Q5_1), q.Q8_0
    n_head = config.num_attention_heads
    n_kv = getattr(config, "num_key_value_heads", None) or n_head
    from tqdm.auto import tqdm

    kept_f16 = []
    for hf_name, tensor in tqdm(state.items(), desc=f"converting to {quant}", unit="tensor", file=sys.stderr):
        gguf_name = names.get_name(hf_name, (".weight", ".bias"))
        if gguf_name is None and hf_name == "lm_head.weight":
            raise UserError(
                f"the {spec.gguf_arch.lower()} GGUF format has no separate output head, but this model's "
                "lm_head is not tied to its embeddings",
                hint="llama.cpp reads this architecture's output head from the embedding (tie_word_embeddings)",
            )
        if gguf_name is None:
            raise UserError(
                f"GGUF export does not know where the tensor {hf_name} goes",
                hint="this checkpoint has layers the GGUF format of its architecture does not describe",
            )
        data = tensor.detach().float().cpu().numpy()
        if spec.permute_qk and hf_name.endswith("self_attn.q_proj.weight"):
            data = permute_rows(data, n_head)
        elif spec.permute_qk and hf_name.endswith("self_attn.k_proj.weight"):
            data = permute_rows(data, n_kv)
        if spec.norm_plus_one and hf_name.endswith("norm.weight"):
            data = data + 1.0
        # 4/5-bit types keep the embedding and output head in q8_0, as llama.cpp's quantizer keeps them higher
        kind = (
            head_type if qtype in low_bit and gguf_name in ("token_embd.weight", "output.weight") else qtype
        )
        if _add_one(writer, gguf_name, data, kind):
            kept_f16.append(gguf_name)
    if kept_f16:
        notes.append(f"{len(kept_f16)} tensors kept in f16: rows not a multiple of the {quant} block size")


def _add_one(writer: Any, name: str, data: Any, qtype: Any) -> bool:
    """Write one tensor: norms/biases in f32 (as llama.cpp does), matrices in `qtype`; True if kept f16."""
    import gguf
    import numpy as np

    if data.ndim < 2 or qtype == gguf.GGMLQuantizationType.F32:
        writer.add_tensor(name, data.astype(np.float32))
        return False
    if qtype == gguf.GGMLQuantizationType.F16:
        writer.add_tensor(name, data.astype(np.float16))
        return False
    block, _ = gguf.GGML_QUANT_SIZES[qtype]
    if data.shape[-1] % block:
        writer.add_tensor(name, data.astype(np.float16))
        return True
    writer.add_tensor(name, gguf.quants.quantize(data, qtype), raw_dtype=qtype)
    return False
