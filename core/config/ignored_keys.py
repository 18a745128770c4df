"""Axolotl keys ftui reads without effect, each with the reason `ftui check` gives.

A key is ignored when training is the same model on the same data without it (at most slower, bigger or logged
elsewhere). Every key Axolotl's schema knows is a field of `FtuiConfig`, listed here, or part of an unsupported
feature (unsupported.py); tests/test_config_registry.py holds every key to exactly one of these places.
Implementing a key means: add the field to the schema, act on it, and delete it from here.
"""

from __future__ import annotations

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


def _index(groups: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {key: reason for reason, keys in groups.items() for key in keys}


IGNORED_REASON: dict[str, str] = _index(IGNORED)
IGNORED_DATASET_REASON: dict[str, str] = _index(IGNORED_DATASET)


def ignored_reason(key: str) -> str | None:
    """Why ftui does not act on a top-level key, or None when it is not an ignored key."""
    return IGNORED_REASON.get(key)


def dataset_ignored_reason(key: str) -> str | None:
    return IGNORED_DATASET_REASON.get(key)
