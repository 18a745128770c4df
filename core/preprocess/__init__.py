"""Preprocessing: datasets tokenized and masked once, saved on disk, reused while nothing changed.

    prepared = prepare_dataset(config, progress=callback)   # PreparedDataset
    prepared.train, prepared.validation                     # datasets.Dataset (input_ids, labels, attention_mask)
    prepared.stats                                          # rows, dropped, tokens, lengths, duplicates, packing
    prepared.packed_train()                                 # with sample_packing

Importing this package is cheap; `datasets` and the tokenizer load only when used.
"""

from ftui.core.preprocess.pipeline import PreparedDataset, prepare_dataset
from ftui.core.preprocess.preview import PreviewItem, preview_examples
from ftui.core.preprocess.stats import DatasetStats
from ftui.core.preprocess.store import DEFAULT_PREPARED_DIR, prepared_root
from ftui.core.preprocess.tokenize_datasets import split_indices

__all__ = [
    "DEFAULT_PREPARED_DIR",
    "DatasetStats",
    "PreparedDataset",
    "PreviewItem",
    "prepare_dataset",
    "prepared_root",
    "preview_examples",
    "split_indices",
]
