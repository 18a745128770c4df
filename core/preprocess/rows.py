"""Kept rows collected as compact Arrow record batches (int32 ids/labels, int8 mask), and turned into a
`datasets.Dataset` without hashing the whole table."""

from __future__ import annotations

import uuid
from typing import Any

CHUNK = 1000  # rows per record batch


class RowBuilder:
    """Collects rows as compact Arrow record batches (int32 ids/labels, int8 mask) instead of Python lists."""

    def __init__(self) -> None:
        self.batches: list[Any] = []
        self.pending: dict[str, list[list[int]]] = {"input_ids": [], "labels": [], "attention_mask": []}

    def add(self, input_ids: list[int], labels: list[int], attention_mask: list[int]) -> None:
        self.pending["input_ids"].append(input_ids)
        self.pending["labels"].append(labels)
        self.pending["attention_mask"].append(attention_mask)
        if len(self.pending["input_ids"]) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if not self.pending["input_ids"]:
            return
        self.batches.append(
            pa.record_batch(
                [
                    pa.array(self.pending["input_ids"], type=pa.list_(pa.int32())),
                    pa.array(self.pending["labels"], type=pa.list_(pa.int32())),
                    pa.array(self.pending["attention_mask"], type=pa.list_(pa.int8())),
                ],
                names=["input_ids", "labels", "attention_mask"],
            )
        )
        self.pending = {key: [] for key in self.pending}

    def table(self) -> Any:
        import pyarrow as pa

        self._flush()
        schema = pa.schema(
            [
                ("input_ids", pa.list_(pa.int32())),
                ("labels", pa.list_(pa.int32())),
                ("attention_mask", pa.list_(pa.int8())),
            ]
        )
        return pa.Table.from_batches(self.batches, schema=schema)


def as_dataset(table: Any) -> Any:
    from datasets import Dataset

    # An explicit fingerprint: otherwise `datasets` pickles the whole table to hash it.
    return Dataset(table, fingerprint=uuid.uuid4().hex)
