"""Load the base model and tokenizer for training, then apply the adapter (full / LoRA / QLoRA).

Precision is chosen here too: `auto` means bf16 where the GPU supports it, fp16 on older GPUs, and plain fp32
on CPU (CPU half precision is slow and unstable for training).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.library_logs import quiet_library_logs
from ftui.core.models.source import ModelSource, resolve_model
from ftui.core.train.settings import TrainSettings

quiet_library_logs()


@dataclass
class Precision:
    device: str  # "cpu", "cuda", "mps"
    device_name: str
    bf16: bool
    fp16: bool
    tf32: bool

    @property
    def torch_dtype(self) -> Any:
        """The compute dtype (autocast, QLoRA compute)."""
        import torch

        return torch.bfloat16 if self.bf16 else torch.float16 if self.fp16 else torch.float32

    @property
    def load_dtype(self) -> Any:
        """The dtype weights are loaded in: bf16 as is; fp16 training keeps fp32 master weights (the
        gradient scaler cannot unscale fp16 gradients), with fp16 autocast doing the compute."""
        import torch

        return torch.bfloat16 if self.bf16 else torch.float32


def _flag(value: Any) -> bool | None:
    """Config booleans that may be `auto`: True/False, or None for auto."""
    if value is None or (isinstance(value, str) and value.lower() == "auto"):
        return None
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    return bool(value)


def detect_precision(settings: TrainSettings) -> Precision:
    import torch

    if torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        bf16_ok = torch.cuda.is_bf16_supported()
        bf16, fp16 = _flag(settings.bf16), _flag(settings.fp16)
        if bf16 and not bf16_ok:
            raise UserError(
                f"bf16: true but this GPU ({name}) does not support bfloat16",
                hint="set bf16: auto (uses fp16 there) or fp16: true",
            )
        if bf16 is None:
            bf16 = bf16_ok and not fp16
        if fp16 is None:
            fp16 = not bf16
        tf32 = _flag(settings.tf32)
        tf32 = torch.cuda.get_device_capability(0)[0] >= 8 if tf32 is None else tf32
        return Precision("cuda", name, bool(bf16), bool(fp16) and not bf16, bool(tf32))
    import platform

    return Precision("cpu", platform.processor() or platform.machine() or "cpu", False, False, False)


def resolve_base(settings: TrainSettings) -> ModelSource:
    return resolve_model(settings.base_model, base_dir=settings.config_dir)


def load_tokenizer_for(config: Any) -> Any:
    """The tokenizer exactly as preprocessing loads it (special tokens, pad token fallback)."""
    from ftui.core.tokenizer import load_tokenizer

    return load_tokenizer(config)


def fit_embeddings(model: Any, tokenizer: Any) -> bool:
    """Grow the embedding matrix when the config added tokens; returns whether it did."""
    size = model.get_input_embeddings().weight.shape[0]
    if len(tokenizer) > size:
        model.resize_token_embeddings(len(tokenizer))
        return True
    return False


def quantization_config(settings: TrainSettings, precision: Precision) -> Any:
    """bitsandbytes settings: NF4 with double quantization for QLoRA (as in the QLoRA paper), or 8-bit."""
    if not settings.is_quantized:
        return None
    from transformers import BitsAndBytesConfig

    if settings.adapter == "qlora" or settings.load_in_4bit:
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=precision.torch_dtype,
        )
    return BitsAndBytesConfig(load_in_8bit=True)


def load_base_model(settings: TrainSettings, source: ModelSource, precision: Precision) -> Any:
    from transformers import AutoModelForCausalLM

    kwargs = source.pretrained_kwargs(settings.trust_remote_code)
    kwargs["dtype"] = precision.load_dtype
    attention = attention_implementation(settings, precision)
    if attention:
        kwargs["attn_implementation"] = attention
    quant = quantization_config(settings, precision)
    if quant is not None:
        kwargs["quantization_config"] = quant
        if precision.device == "cuda":
            import os

            kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", 0))}
    try:
        model = AutoModelForCausalLM.from_pretrained(source.path, **kwargs)
    except OSError as err:
        raise UserError(
            f"cannot load model {source.name!r}: {err}",
            hint="check base_model (a local folder, a .gguf file, `embedded`, or a hub id in the local cache)",
        ) from err
    model.config.use_cache = False  # no KV cache in training; also lets packed position_ids build the mask
    return model


def attention_implementation(settings: TrainSettings, precision: Precision) -> str | None:
    """The config's attention backend (`attn_implementation`, or Axolotl's older flags) as transformers
    takes it. Axolotl-only backends (xformers, sage, fp8, ...) run as SDPA (`ftui check` says so); on CPU
    the FlashAttention and hub-kernel backends run as SDPA with the block-diagonal mask from position_ids."""
    from ftui.core.config.choices import resolve_attention, runnable_attention

    name = runnable_attention(resolve_attention(settings.raw))
    if name is None:
        return None
    needs_cuda = name.startswith("flash_attention") or name == "flex_attention" or "/" in name
    if needs_cuda and precision.device != "cuda":
        return None
    if name in ("flash_attention_2", "flash_attention_3"):
        import importlib.util

        package = "flash_attn" if name == "flash_attention_2" else "flash_attn_interface"
        if importlib.util.find_spec(package) is None:
            raise UserError(
                f"attention backend {name} needs the {package} package, which is not installed",
                hint="pip install flash-attn --no-build-isolation, or set attn_implementation: sdpa",
            )
    return name


def lora_config(settings: TrainSettings) -> Any:
    from peft import LoraConfig

    targets: Any = settings.lora_target_modules
    if settings.lora_target_linear or not targets:
        targets = "all-linear"
    return LoraConfig(
        r=settings.lora_r,
        lora_alpha=settings.lora_alpha,
        lora_dropout=settings.lora_dropout,
        target_modules=targets,
        modules_to_save=settings.lora_modules_to_save,
        bias="none",
        task_type="CAUSAL_LM",
    )


def apply_adapter(model: Any, settings: TrainSettings, start: Path | None = None) -> Any:
    """Wrap the model for LoRA/QLoRA (a fresh adapter, or the trained one in `start`, from
    `lora_model_dir`); full fine-tuning leaves it as is."""
    if settings.adapter not in (None, "lora", "qlora"):
        raise UserError(
            f"adapter: {settings.adapter!r} is not supported",
            hint="use adapter: lora, adapter: qlora, or leave adapter out for full fine-tuning",
        )
    if settings.adapter is None:
        if settings.is_quantized:
            raise UserError(
                "full fine-tuning of a quantized model is not possible",
                hint="set adapter: qlora (with load_in_4bit: true) or remove load_in_4bit/load_in_8bit",
            )
        return model
    from peft import get_peft_model, prepare_model_for_kbit_training

    if settings.is_quantized:
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=settings.gradient_checkpointing
        )
    if start is not None:
        from ftui.core.train.adapter_start import load_start_adapter

        return load_start_adapter(model, start)
    return get_peft_model(model, lora_config(settings))


def count_parameters(model: Any) -> tuple[int, int]:
    """(trainable, total); 4-bit weights count as their logical number of parameters."""
    trainable = total = 0
    for param in model.parameters():
        n = param.numel()
        if param.__class__.__name__ == "Params4bit":
            n *= 2
        total += n
        if param.requires_grad:
            trainable += n
    return trainable, total
