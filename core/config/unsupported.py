"""Axolotl features ftui cannot train yet: the config opens, the wizard and `estimate` work, `ftui train`
refuses at once naming the feature, because ignoring it would train something other than the config asks for.

Keys read without effect live in ignored_keys.py, integrations (`plugins:`) in plugins.py;
tests/test_config_registry.py holds every key Axolotl knows to exactly one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _set(value: Any) -> bool:
    """A key asks for something: not empty, not false, not an empty list or mapping."""
    return value not in (None, False, "", [], {})


def _above_one(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 1


@dataclass(frozen=True)
class Feature:
    """A capability ftui does not have yet; `keys` turn it on when `active(value)` says so."""

    name: str
    keys: tuple[str, ...]
    message: str
    active: Callable[[Any], bool] = _set

    def name_for(self, value: Any) -> str:
        return self.name.format(value=value)


UNSUPPORTED: tuple[Feature, ...] = (
    Feature("reward model training", ("reward_model",), "ftui does not train reward (sequence-score) models"),
    Feature(
        "process reward model training",
        ("process_reward_model",),
        "ftui does not train process (step-score) reward models",
    ),
    Feature(
        "vision/audio models (processor_type)",
        ("processor_type",),
        "ftui trains text-only models; image and audio processors are not supported",
    ),
    Feature(
        "diffusion language-model training",
        ("diffusion",),
        "ftui trains causal language models only",
    ),
    Feature(
        "quantization-aware training (qat)",
        ("qat",),
        "ftui does not simulate quantization during training",
    ),
    Feature(
        "post-training quantization (quantization)",
        ("quantization",),
        "ftui does not quantize the trained model",
    ),
    Feature(
        "FP8 training",
        ("fp8",),
        "ftui trains in bf16/fp16/fp32 only",
    ),
    Feature(
        "sequence/context parallelism",
        ("sequence_parallel_degree", "context_parallel_size"),
        "ftui splits batches across GPUs (DDP/FSDP/DeepSpeed) but not single sequences",
        _above_one,
    ),
    Feature(
        "tensor parallelism",
        ("tensor_parallel_size",),
        "ftui does not split layers across GPUs",
        _above_one,
    ),
    Feature(
        "expert parallelism",
        ("expert_parallel_size",),
        "ftui does not place MoE experts on different GPUs",
        _above_one,
    ),
    Feature(
        "knowledge distillation",
        ("kd_trainer",),
        "ftui does not train against a teacher model's logits",
    ),
    Feature("ReLoRA", ("relora", "relora_steps"), "ftui does not merge and restart LoRA during training"),
    Feature("jagged LR restarts", ("jagged_restart_steps",), "ftui's schedulers do not restart"),
    Feature("LISA layer sampling", ("lisa_n_layers",), "ftui does not freeze changing sets of layers"),
    Feature(
        "partial fine-tuning (unfrozen_parameters)",
        ("unfrozen_parameters",),
        "ftui trains the whole model or a LoRA adapter, not a chosen subset of weights",
    ),
    Feature(
        "Spectrum layer selection",
        ("spectrum_model_name",),
        "ftui does not choose layers to train from a signal-to-noise scan",
    ),
    Feature("MoRA adapters", ("mora",), "ftui's adapters are LoRA and QLoRA"),
    Feature("PoSE context extension", ("use_pose",), "ftui does not skip position ids"),
    Feature("landmark attention", ("landmark_attention",), "ftui trains the model's attention as it is"),
    Feature("xPos rotary embeddings", ("xpos_rope",), "ftui keeps the model's position embeddings"),
    Feature(
        "learning-rate sweeps", ("log_sweep_min_lr", "log_sweep_max_lr"), "ftui trains one learning rate"
    ),
    Feature("EAFT", ("use_eaft",), "ftui does not run entropy-adaptive fine-tuning"),
    Feature("EBFT", ("ebft",), "ftui does not run energy-based fine-tuning"),
    Feature("Grokfast gradient filter", ("grokfast_alpha",), "ftui does not filter gradients"),
    Feature("DenseMixer MoE routing", ("dense_mixer",), "ftui does not change MoE routing in training"),
    Feature("NeMo Gym environments", ("nemo_gym_enabled",), "ftui does not train in environments"),
    Feature("Hatchery remote training", ("hatchery",), "ftui trains on this machine"),
    Feature("LLM Compressor sparsity", ("llmcompressor",), "ftui does not keep models sparse while training"),
    Feature("1-bit LLM training", ("use_onebitllms",), "ftui does not train ternary/1-bit weights"),
    Feature(
        "scaled softmax attention",
        ("scaling_softmax",),
        "ftui trains the model's attention as it is",
    ),
    Feature(
        "per-group learning rates (LoRA+, embedding_lr, lr_groups)",
        ("loraplus_lr_ratio", "embedding_lr", "embedding_lr_scale", "lr_groups"),
        "ftui uses one learning rate for every trained weight",
    ),
    Feature(
        "a model config override (overrides_of_model_config)",
        ("overrides_of_model_config", "model_config", "overrides_of_model_kwargs", "model_kwargs"),
        "ftui loads the model with its own config; change the model's config.json instead",
    ),
    Feature(
        "a model revision other than the default branch",
        ("revision_of_model", "model_revision"),
        "ftui loads the model's main revision; download the revision into a folder and use that as base_model",
    ),
    Feature(
        "pre-quantized model loading (model_quantization_config)",
        (
            "model_quantization_config",
            "gptq",
            "gptq_groupsize",
            "gptq_model_v1",
            "gptq_disable_exllama",
            "load_4bit",
        ),
        "ftui quantizes with bitsandbytes (load_in_4bit/8bit) only",
    ),
    Feature(
        "re-initialised weights",
        ("reinit_weights", "random_init_weights"),
        "ftui trains from the model's pretrained weights",
    ),
    Feature(
        "token overrides (added_tokens_overrides)",
        ("added_tokens_overrides", "fix_untrained_tokens"),
        "ftui does not rewrite or re-initialise existing tokens",
    ),
    Feature(
        "dataset sharding (dataset_shard_num)",
        ("dataset_shard_num", "dataset_shard_idx"),
        "ftui trains on all the rows; cut the dataset with `split: train[:N%]` instead",
    ),
    Feature(
        "chat template arguments (chat_template_kwargs)",
        ("chat_template_kwargs",),
        "ftui renders chat templates without extra arguments, which would change the prompt text",
    ),
    Feature(
        "multi-layer LoRA patterns (rank/alpha patterns, target parameters, layer replication)",
        (
            "lora_rank_pattern",
            "lora_alpha_pattern",
            "lora_target_parameters",
            "peft_layer_replication",
            "peft_layers_pattern",
            "peft_trainable_token_indices",
            "peft",
            "peft_init_lora_weights",
        ),
        "ftui builds a LoRA of one rank over the target modules",
    ),  # fmt: skip
    Feature(
        "a LoRA variant (DoRA, rsLoRA, layers_to_transform, fan_in_fan_out)",
        ("peft_use_dora", "peft_use_rslora", "peft_layers_to_transform", "lora_fan_in_fan_out"),
        "ftui trains a plain LoRA (alpha / r scaling on every layer)",
    ),
    Feature(
        "learning-rate schedule extras (cosine_min_lr_ratio, lr_scheduler_kwargs, ...)",
        (
            "cosine_min_lr_ratio",
            "cosine_constant_lr_ratio",
            "lr_scheduler_kwargs",
            "lr_quadratic_warmup",
            "lr_div_factor",
        ),
        "ftui runs transformers' scheduler with its defaults, which would give another schedule",
    ),  # fmt: skip
    Feature(
        "optimizer arguments (optim_args, optim_target_modules, adam_beta3, adam_epsilon2)",
        ("optim_args", "optim_target_modules", "adam_beta3", "adam_epsilon2"),
        "ftui builds the optimizer from learning_rate, weight_decay and the adam_* keys only",
    ),
    Feature(
        "noisy embeddings (NEFTune)",
        ("neftune_noise_alpha", "noisy_embedding_alpha"),
        "ftui does not add noise to embeddings",
    ),
    Feature(
        "a custom trainer class (trainer_cls)",
        ("trainer_cls",),
        "ftui runs its own trainer; Python trainer classes from the config are not loaded",
    ),
    Feature(
        "row streaming (streaming)",
        ("streaming",),
        "ftui reads and tokenizes the datasets before training",
    ),
)

# Features of one `datasets:` entry.
DATASET_UNSUPPORTED: tuple[Feature, ...] = (
    Feature(
        "dataset shards (shards)",
        ("shards", "shards_idx"),
        "ftui trains on all the rows of an entry; cut it with `split: train[:N%]` instead",
    ),
)

# Adapter names Axolotl knows that ftui does not train.
UNSUPPORTED_ADAPTERS = ("llama-adapter",)

FEATURE_OF_KEY: dict[str, Feature] = {key: f for f in UNSUPPORTED for key in f.keys}
DATASET_FEATURE_OF_KEY: dict[str, Feature] = {key: f for f in DATASET_UNSUPPORTED for key in f.keys}


def feature_of(key: str) -> Feature | None:
    """The unsupported feature a top-level key belongs to, if any."""
    return FEATURE_OF_KEY.get(key)
