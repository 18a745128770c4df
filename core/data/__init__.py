"""Datasets: sources (files, folders, hub ids), format detection, row validation, the neutral `Example`.

    scan = scan_dataset(cfg.datasets[0], cfg.base_dir, limit=5000)   # UI: format, rows, bad rows, sample
    for example in iter_config_examples(cfg.datasets, cfg.base_dir, skip_bad_rows=cfg.skip_bad_rows):
        ...                                                          # preprocessing: streams, then one DataError

Importing this package is cheap (no torch, no `datasets`, no pyarrow): the TUI scans data on its first screens.
"""

from ftui.core.data.dataset import iter_config_examples, iter_examples, scan_dataset
from ftui.core.data.formats import DEFAULT_ROLES, FORMATS, FormatSpec, detect_format, resolve_format
from ftui.core.data.model import (
    ROLES,
    BadRow,
    DatasetScan,
    Example,
    ExampleKind,
    Message,
    RawRow,
    RowOrigin,
    Segment,
)
from ftui.core.data.report import BadRowLog, DataError
from ftui.core.data.settings import DatasetSettings, dataset_settings
from ftui.core.data.sources import Source, open_source


def load_dataset_rows(ds_config, base_dir="."):
    """The raw rows of one dataset entry (each with its origin), before format handling."""
    return open_source(dataset_settings(ds_config), base_dir).rows()


__all__ = [
    "DEFAULT_ROLES",
    "FORMATS",
    "ROLES",
    "BadRow",
    "BadRowLog",
    "DataError",
    "DatasetScan",
    "DatasetSettings",
    "Example",
    "ExampleKind",
    "FormatSpec",
    "Message",
    "RawRow",
    "RowOrigin",
    "Segment",
    "Source",
    "dataset_settings",
    "detect_format",
    "iter_config_examples",
    "iter_examples",
    "load_dataset_rows",
    "open_source",
    "resolve_format",
    "scan_dataset",
]
