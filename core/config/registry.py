"""The one registry of Axolotl keys ftui does not act on: what is ignored, and what ftui cannot train yet.

Every key Axolotl's schema knows (templates/axolotl/keys.json, generated from Axolotl itself) is either a
field of `FtuiConfig` (ftui acts on it), listed in `IGNORED` (read, reported, no effect: training is the same
model on the same data, at most slower, bigger or logged elsewhere), or part of an `UNSUPPORTED` feature
(the config opens, the wizard and `estimate` work, `ftui train` refuses at once naming the feature, because
ignoring it would train something other than what the config asks for). tests/test_config_registry.py
holds every key to exactly one of these places.

Implementing a key means: add the field to the schema, act on it, and delete it from here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# --- keys read without effect ----------------------------------------------------------------------------

# reason -> keys. The reason is what `ftui check` says about each key.
IGNORED: dict[str, tuple[str, ...]] = {
    "a speed/memory kernel or patch ftui does not apply (same training, other speed and memory)": (
        "liger_rms_norm_gated", "liger_cross_entropy", "liger_kernel_impl", "liger_use_token_scaling",
        "flash_attn_cross_entropy", "flash_attn_rms_norm",
        "flash_attn_fuse_qkv", "flash_attn_fuse_mlp", "flash_optimum", "flash_attn_d512", "fused_attn_kernel",
        "unsloth_cross_entropy_loss", "unsloth_lora_mlp", "unsloth_lora_qkv", "unsloth_lora_o",
        "unsloth_rms_norm", "unsloth_rope", "lora_mlp_kernel", "lora_qkv_kernel", "lora_o_kernel",
        "lora_embedding_kernel", "use_kernels", "experts_implementation", "use_scattermoe", "use_sonicmoe",
        "moe_bnb_fast", "moe_dequant_chunk_size", "moe_grouped_backend", "expert_backend",
        "use_dsv4_kernels", "dsv4_bf16_all", "dsv4_fp4_grouped_mode", "dsv4_fp8_lora_kernel",
        "dsv4_fp8_nonexpert_mode", "dsv4_shared_mlp_lora_kernel", "gemma4_fp8_nonexpert",
        "gemma4_nf4_nonexpert", "nonexpert_quantization", "use_glm_dsa_kernels", "llama4_linearized_experts",
        "quantize_moe_experts", "tiled_mlp", "tiled_mlp_num_shards", "tiled_mlp_use_original_mlp",
        "torch_compile", "torch_compile_backend", "torch_compile_mode", "torch_compile_options",
        "deepcompile", "sdpa_varlen", "heads_k_stride", "batch_flattening", "gemma4_hybrid_attn_impl",
        "flex_attn_compile_kwargs", "large_head_attention",
        "eval_sample_packing", "sample_packing_eff_est", "sample_packing_bin_size",
        "sample_packing_group_size", "sample_packing_sequentially", "sample_packing_mp_start_method",
        "multipack_real_batches", "pretrain_multipack_attn", "pretrain_multipack_buffer_size",
        "streaming_multipack_buffer_size", "activation_offloading", "layer_offloading", "ple_cpu_offload",
        "selective_checkpointing", "gradient_checkpointing_kwargs", "dynamic_checkpoint", "gc_steps",
        "gc_collect_steps", "torch_empty_cache_steps", "low_cpu_mem_usage", "experimental_skip_move_to_device",
        "qlora_sharded_model_loading", "embeddings_skip_upcast", "fp32_norms", "fp32_norm_classes",
        "bnb_config_kwargs", "lora_on_cpu", "auto_find_batch_size", "tokenizer_use_fast", "tokenizer_legacy",
        "pad_to_multiple_of", "peft_autocast_adapter_dtype", "peft_ensure_weight_tying",
        "resize_token_embeddings_to_32x", "shrink_embeddings", "gradient_checkpointing_ratio",
    ),
    "a multi-GPU or launcher setting; ftui launches through accelerate (num_processes, fsdp, deepspeed)": (
        "local_rank", "world_size", "ddp", "ddp_timeout", "ddp_bucket_cap_mb", "ddp_broadcast_buffers",
        "ddp_find_unused_parameters", "device", "device_map", "max_memory", "gpu_memory_limit",
        "accelerator_config", "fsdp_final_state_dict_type", "dp_shard_size",
        "dp_replicate_size", "use_ray", "ray_num_workers", "ray_run_name", "resources_per_worker",
        "torchdistx_path",
    ),
    "a data-loading or preprocessing knob (same rows, other speed); ftui prepares data itself": (
        "dataset_processes", "dataset_num_proc", "dataset_keep_in_memory", "dataloader_pin_memory",
        "dataloader_num_workers", "dataloader_prefetch_factor", "dataloader_drop_last",
        "push_dataset_to_hub", "num_dataset_shards_to_save", "skip_prepare_dataset", "is_preprocess",
        "preprocess_iterable", "shuffle_merged_datasets", "shuffle_before_merging_datasets", "curriculum_sampling",
        "total_num_tokens", "total_supervised_tokens", "remove_unused_columns", "group_by_length",
        "eval_sequence_len", "min_sample_len", "pretraining_sample_concatenation",
    ),
    "new tokens get transformers' mean-resized embeddings (its default), whatever this says": (
        "mean_resizing_embeddings",
    ),
    "a model-family hint or tokenizer-loading detail; ftui reads the model's own config": (
        "is_falcon_derived_model", "is_llama_derived_model", "is_mistral_derived_model",
        "is_qwen_derived_model", "type_of_model", "tokenizer_save_jinja_files",
        "tokenizer_use_mistral_common", "processor_kwargs",
    ),
    "an evaluation, benchmark or sample-generation extra ftui does not run": (
        "eval_causal_lm_metrics", "do_causal_lm_eval", "do_bench_eval", "bench_dataset", "bench_split",
        "metric_for_best_model", "greater_is_better", "load_best_model_at_end", "eval_strategy",
        "evaluation_strategy", "lm_eval_batch_size", "lm_eval_model", "lm_eval_post_train", "lm_eval_tasks",
        "generate_samples", "num_generation_samples", "generation_do_sample", "generation_max_new_tokens",
        "generation_prompt_ratio", "generation_temperature", "generation_top_k", "generation_top_p",
        "include_tkps", "include_tokens_per_second", "profiler_steps", "profiler_steps_start",
    ),
    "a checkpoint-format detail; ftui writes its own atomic checkpoints (safetensors)": (
        "save_strategy", "save_first_step", "save_only_model", "save_safetensors",
    ),
    "a tracker or Hub detail ftui does not pass on (the tracker's own default applies; docs/config.md)": (
        "comet_experiment_key", "comet_mode", "comet_online", "comet_experiment_config",
        "use_swanlab", "swanlab_project", "swanlab_experiment_name", "swanlab_description", "swanlab_mode",
        "swanlab_workspace", "swanlab_api_host", "swanlab_web_host", "swanlab_log_model",
        "swanlab_lark_webhook_url", "swanlab_log_completions",
        "swanlab_completion_log_interval", "swanlab_completion_max_buffer", "use_otel_metrics", "otel_metrics_host",
        "otel_metrics_port", "hub_revision", "hf_use_auth_token", "push_to_hub_model_id",
    ),
    "an inference, merge or UI setting of Axolotl's other commands (ftui chat/merge have their own options)": (
        "merge_lora", "merge_method", "gradio_max_new_tokens", "gradio_server_name", "gradio_server_port",
        "gradio_share", "gradio_temperature", "gradio_title", "axolotl_config_path",
    ),
    "a setting of a training method ftui does not run; it only matters together with that method's key": (
        "trl", "dpo_norm_loss", "rl_adapter_ref_model",
        "center_rewards_coefficient", "vllm", "num_labels", "cls_model_config", "role_boundaries",
        "kd_alpha", "kd_beta", "kd_ce_alpha", "kd_normalize_topk", "kd_online_server",
        "kd_online_server_base_url", "kd_online_timeout", "kd_online_topk", "kd_temperature",
        "kd_temperature_min", "relora_prune_ratio", "relora_prune_method", "relora_cpu_offload",
        "relora_warmup_steps", "relora_anneal_steps", "jagged_restart_warmup_steps",
        "jagged_restart_anneal_steps", "lisa_step_interval", "lisa_layers_attribute", "pose_max_context_len",
        "pose_num_chunks", "pose_split_on_token_ids", "qgalore_cos_threshold", "qgalore_gamma_proj",
        "qgalore_proj_bits", "qgalore_proj_group_size", "qgalore_proj_quant", "qgalore_proj_type",
        "qgalore_queue_size", "qgalore_rank", "qgalore_scale", "qgalore_update_proj_gap", "dion_lr",
        "dion_momentum", "dion_rank_fraction", "dion_rank_multiple_of", "loraplus_lr_embedding",
        "expert_parallel_backend", "expert_parallel_fallback_on_unsupported", "expert_parallel_num_nvl_bytes",
        "expert_parallel_num_rdma_bytes", "expert_parallel_token_capacity", "ring_attn_func",
        "eaft_alpha", "eaft_k", "spectrum_top_fraction", "grokfast_lamb", "fp8_config",
        "fp8_enable_fsdp_float8_all_gather", "nvfp4_merge_aware", "nvfp4_merge_aware_start_step",
        "freeze_mm_modules", "image_size", "image_resize_algorithm", "nemo_gym_auto_clone",
        "nemo_gym_auto_start", "nemo_gym_config_paths", "nemo_gym_datasets", "nemo_gym_dir",
        "nemo_gym_head_port", "nemo_gym_max_turns", "nemo_gym_model_name", "nemo_gym_multi_turn",
        "nemo_gym_run_timeout", "nemo_gym_server_timeout", "nemo_gym_verify_timeout",
        "model_quantization_config_kwargs", "scaling_softmax_bias", "scaling_softmax_factor",
    ),
    "a preference-training speed or logging detail (same loss, other speed and memory)": (
        "dpo_padding_free", "dpo_use_liger_kernel", "dpo_use_logits_to_keep", "dpo_generate_during_eval",
    ),
    "no longer used by Axolotl either": (
        "max_packed_sequence_len", "rope_scaling", "s2_attention", "float16", "bfloat16", "float32",
        "base_model_ignore_patterns", "collator_pad_to_longest", "eval_table_max_new_tokens", "lora_out_dir",
        "sample_pack_sequentially",
    ),
}  # fmt: skip

# Keys of one `datasets:` entry, reason -> keys.
IGNORED_DATASET: dict[str, tuple[str, ...]] = {
    "a loading or preprocessing knob (same rows)": (
        "preprocess_shards", "input_format", "train_on_split",
    ),
    "read only by Axolotl's experimental `messages` loader": ("input_transform",),
    "a setting of a dataset type ftui does not read (reward and stepwise data)": (
        "step_separator", "max_completion_length",
        "train_on_last_step_only", "logprobs_field", "temperature",
    ),
    "a reasoning-trace setting of Axolotl's qwen3 template handling ftui does not apply": (
        "split_thinking", "field_thinking", "template_thinking_key",
    ),
}  # fmt: skip


# --- features ftui cannot train yet ---------------------------------------------------------------------


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

# Axolotl's integrations (`plugins: [axolotl.integrations.NAME.Class]`) by NAME: ("ignored", reason) when
# training is the same without it, ("unsupported", feature) when it changes what is trained. A plugin not
# listed here is Python code ftui does not run: unsupported.
PLUGINS: dict[str, tuple[str, str]] = {
    "liger": ("ignored", "Liger kernels: not needed, ftui acts on the liger_* keys themselves"),
    "cut_cross_entropy": ("ignored", "cut cross-entropy: not needed, ftui acts on cut_cross_entropy itself"),
    "kernels": ("ignored", "MoE/LoRA kernels (speed/memory only)"),
    "lm_eval": ("ignored", "lm-eval benchmarks after training"),
    "swanlab": ("ignored", "SwanLab tracking"),
    "spectrum": ("unsupported", "Spectrum layer selection"),
    "diffusion": ("unsupported", "diffusion language-model training"),
    "kd": ("unsupported", "knowledge distillation"),
    "grokfast": ("unsupported", "Grokfast gradient filter"),
    "densemixer": ("unsupported", "DenseMixer MoE routing"),
    "mora": ("unsupported", "MoRA adapters"),
    "nemo_gym": ("unsupported", "NeMo Gym environments"),
    "hatchery": ("unsupported", "Hatchery remote training"),
    "llm_compressor": ("unsupported", "LLM Compressor sparsity"),
    "expert_parallel": ("unsupported", "expert parallelism"),
}


def plugin_status(plugin: str) -> tuple[str, str]:
    """("ignored" | "unsupported", what it is) for one `plugins:` entry."""
    parts = str(plugin).split(".")
    if len(parts) >= 3 and parts[0] == "axolotl" and parts[1] == "integrations" and parts[2] in PLUGINS:
        return PLUGINS[parts[2]]
    return "unsupported", f"plugin {plugin} (Python code ftui does not run)"


# --- Axolotl's own lists (generated; see bench/axolotl/make_axolotl_keys.py) ------------------------------


@lru_cache(maxsize=1)
def axolotl_keys() -> dict[str, Any]:
    """templates/axolotl/keys.json: Axolotl's current and legacy schema keys, plugins, templates, rl types."""
    from ftui.core.paths import templates_dir

    return json.loads((templates_dir() / "axolotl" / "keys.json").read_text(encoding="utf-8"))


# Keys older Axolotl releases read in their code (`cfg.NAME`) without documenting them.
CODE_ONLY_KEYS: tuple[str, ...] = (
    "gptq_disable_exllama",
    "load_4bit",
    "push_to_hub_model_id",
    "rl_adapter_ref_model",
    "gradient_checkpointing_ratio",
)


def documented_keys() -> frozenset[str]:
    """Every top-level key Axolotl knows: its current schema and plugins, the 0.4.x-era schema, the YAML
    reference of every release, and the few keys older releases read without documenting them."""
    data = axolotl_keys()
    keys = set(data["current"]["top"]) | set(data["legacy"]["top"]) | set(data["history"]["keys"])
    keys |= set(CODE_ONLY_KEYS)
    for names in data["current"]["plugins"].values():
        keys |= set(names)
    return frozenset(keys)


def documented_dataset_keys() -> frozenset[str]:
    data = axolotl_keys()
    return frozenset(set(data["current"]["datasets"]) | set(data["legacy"]["datasets"]))


# --- lookups -----------------------------------------------------------------------------------------------


def _index(groups: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {key: reason for reason, keys in groups.items() for key in keys}


IGNORED_REASON: dict[str, str] = _index(IGNORED)
IGNORED_DATASET_REASON: dict[str, str] = _index(IGNORED_DATASET)
FEATURE_OF_KEY: dict[str, Feature] = {key: f for f in UNSUPPORTED for key in f.keys}
DATASET_FEATURE_OF_KEY: dict[str, Feature] = {key: f for f in DATASET_UNSUPPORTED for key in f.keys}


def ignored_reason(key: str) -> str | None:
    """Why ftui does not act on a top-level key, or None when it is not an ignored key."""
    return IGNORED_REASON.get(key)


def dataset_ignored_reason(key: str) -> str | None:
    return IGNORED_DATASET_REASON.get(key)


def feature_of(key: str) -> Feature | None:
    """The unsupported feature a top-level key belongs to, if any."""
    return FEATURE_OF_KEY.get(key)
