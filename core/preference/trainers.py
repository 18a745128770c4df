"""TRL's preference trainers wired into ftui's run: atomic checkpoints, token counting, flat metrics.

ftui tokenizes the examples itself (core/preference/tokens.py, what `ftui debug` shows), so the trainers get
pre-tokenized rows: DPO/KTO take `prompt_ids` + `chosen_ids`/`rejected_ids` (KTO: `completion_ids` +
`label`) as their own tokenization produces them; CPO (SimPO) and ORPO get the same ids laid out as their
`tokenize_row` would. Imported only when a preference run starts (pulls in torch, transformers, trl).
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from ftui.core.errors import UserError
from ftui.core.preference.methods import PreferenceSettings
from ftui.core.train.data import IGNORE_INDEX, TokenCounter

# TRL's log keys -> ftui's flat event keys (docs/events.md); eval logs carry the same with `eval_` first.
FLAT_METRICS: dict[str, str] = {
    "rewards/chosen": "rewards_chosen",
    "rewards/rejected": "rewards_rejected",
    "rewards/margins": "rewards_margin",
    "rewards/accuracies": "rewards_accuracy",
    "logps/chosen": "logps_chosen",
    "logps/rejected": "logps_rejected",
    "log_odds_ratio": "log_odds_ratio",
    "log_odds_chosen": "log_odds_chosen",
    "nll_loss": "nll_loss",
    "kl": "kl",
}


def flat_metrics(logs: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The preference metrics of one TRL log as flat keys (`rewards/chosen` -> `rewards_chosen`)."""
    return {prefix + new: logs[prefix + old] for old, new in FLAT_METRICS.items() if prefix + old in logs}


@dataclasses.dataclass
class PreferenceCounter(TokenCounter):
    """Tokens of a preference batch: all sequences' real tokens; trained = the answers' tokens."""

    def count(self, batch: dict[str, Any]) -> None:
        if "completion_mask" in batch:  # DPO (chosen rows then rejected rows), KTO
            rows = int(batch["input_ids"].shape[0])
            self.tokens += int(batch["attention_mask"].sum())
            self.trained += int(batch["completion_mask"].sum())
            self.samples += rows // 2 if "ref_chosen_logps" in batch or "label" not in batch else rows
            return
        for side in ("chosen", "rejected"):  # CPO / ORPO
            if f"{side}_labels" in batch:
                self.tokens += int(batch[f"{side}_attention_mask"].sum())
                self.trained += int((batch[f"{side}_labels"] != IGNORE_INDEX).sum())
        if "chosen_labels" in batch:
            self.samples += int(batch["chosen_labels"].shape[0])


# TRL family -> (module, class prefix): `<prefix>Trainer` and `<prefix>Config` (any other family is ORPO).
TRL_CLASSES = {
    "dpo": ("trl", "DPO"),
    "kto": ("trl", "KTO"),
    "cpo": ("trl.experimental.cpo", "CPO"),
    "orpo": ("trl.experimental.orpo", "ORPO"),
}


def _trl_class(family: str, kind: str) -> Any:
    """TRL's `Trainer` or `Config` class for a family, imported when first needed."""
    module, prefix = TRL_CLASSES.get(family, TRL_CLASSES["orpo"])
    return getattr(importlib.import_module(module), prefix + kind)


def _cpo_row(feature: dict[str, Any]) -> dict[str, Any]:
    """ftui's ids in the layout of CPOTrainer/ORPOTrainer.tokenize_row (labels -100 on the prompt)."""
    prompt = list(feature["prompt_ids"])
    out: dict[str, Any] = {"prompt_input_ids": prompt, "prompt_attention_mask": [1] * len(prompt)}
    for side in ("chosen", "rejected"):
        ids = prompt + list(feature[f"{side}_ids"])
        out[f"{side}_input_ids"] = ids
        out[f"{side}_attention_mask"] = [1] * len(ids)
        out[f"{side}_labels"] = [IGNORE_INDEX] * len(prompt) + list(feature[f"{side}_ids"])
    return out


def trainer_class(family: str) -> Any:
    """The TRL trainer of `family` with ftui's atomic checkpoints, fed ftui's pre-tokenized rows."""
    from ftui.core.train.checkpoints import atomic_trainer_class

    base = atomic_trainer_class(_trl_class(family, "Trainer"))

    class PreferenceTrainer(base):
        def _prepare_dataset(self, dataset, processing_class, args, dataset_name):  # DPO, KTO
            if "prompt_ids" not in dataset.column_names:
                return super()._prepare_dataset(dataset, processing_class, args, dataset_name)
            if family == "kto" and self.calculate_KL:  # TRL's KL pairing: completions rotated in each batch

                def rotate(batch):
                    batch["KL_completion_ids"] = [batch["completion_ids"][-1]] + batch["completion_ids"][:-1]
                    return batch

                dataset = dataset.map(rotate, batched=True, batch_size=args.per_device_train_batch_size)
            return dataset

        def tokenize_row(self, feature, model=None):  # CPO, ORPO
            if "prompt_ids" in feature:
                return _cpo_row(feature)
            return super().tokenize_row(feature, model)

    PreferenceTrainer.__name__ = f"Ftui{_trl_class(family, 'Trainer').__name__}"
    return PreferenceTrainer


def method_arguments(pref: PreferenceSettings) -> dict[str, Any]:
    """The TRL config fields of the method (Axolotl's mapping of its keys)."""
    family = pref.info.trainer
    out: dict[str, Any] = {"beta": pref.beta}
    if family == "dpo":
        out.update(
            loss_type=list(pref.loss_type),
            label_smoothing=pref.label_smoothing,
            use_weighting=pref.use_weighting,
            precompute_ref_log_probs=pref.precompute_ref_log_probs,
            max_length=None,  # ftui already held sequence_len (tokens.py)
        )
        if pref.loss_weights:
            out["loss_weights"] = list(pref.loss_weights)
    elif family == "kto":
        out.update(
            desirable_weight=pref.desirable_weight,
            undesirable_weight=pref.undesirable_weight,
            precompute_ref_log_probs=pref.precompute_ref_log_probs,
            max_length=None,
            train_sampling_strategy="sequential",  # TRL's KL pairing needs the batches in order
        )
    elif family == "cpo":
        out.update(
            loss_type="simpo",
            simpo_gamma=pref.simpo_gamma,
            cpo_alpha=pref.cpo_alpha,
            max_length=pref.sequence_len,
        )
    else:
        out.update(max_length=pref.sequence_len)
    return out


def preference_arguments(base: Any, pref: PreferenceSettings) -> Any:
    """The method's TRL config (a TrainingArguments subclass) with every setting of ftui's arguments."""
    kwargs = {f.name: getattr(base, f.name) for f in dataclasses.fields(base) if f.init}
    kwargs.update(method_arguments(pref))
    try:
        return _trl_class(pref.info.trainer, "Config")(**kwargs)
    except (ValueError, TypeError) as err:
        raise UserError(
            f"invalid {pref.info.label} settings: {err}",
            hint="check rl_beta, dpo_loss_type/dpo_loss_weights and the other rl: keys (docs/preference.md)",
        ) from None


def to_dataset(rows: list[Any]) -> Any:
    """A `datasets.Dataset` of pre-tokenized rows (PreferenceTokens)."""
    from datasets import Dataset

    return Dataset.from_list([row.trl_row() for row in rows])
