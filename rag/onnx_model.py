"""A sentence-transformers model exported to ONNX, run by ONNX Runtime: vectors without torch.

Used by ``rag.embedding`` to embed and by ``rag.onnx_export`` to check an export against torch.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Encoding


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero), float32."""
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def cpu_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class OnnxModel:
    """A transformer exported to ONNX, run by ONNX Runtime on the CPU; tokenisation (the model's
    tokenizer.json), mean pooling over the attention mask and normalisation in numpy. It gives the
    vectors sentence-transformers gives, without torch.

    Texts go through the model one at a time by default. Dynamic int8 quantisation scales each
    activation tensor by its own range, so in a batch a text's vector would depend on the other
    texts and the padding beside it (cosine 0.994 between the same chunk alone and batched): one at
    a time, a text always gets the same vector, at index time and at query time. With fp32 weights a
    text's vector does not depend on its batch, and small length-sorted batches are faster (see
    ``rag.embedding.ONNX_FP32_BATCH``)."""

    def __init__(self, onnx_path: Path, tokenizer_path: Path, max_seq_length: int, *,
                 batch_size: int = 1, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or cpu_cores()
        options.inter_op_num_threads = 1
        # idle threads sleep instead of spinning: on a shared machine, spinning threads steal the
        # cores the work needs (measured: 22 ms a query with spinning, 11 ms without, under load)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_name = self.session.get_outputs()[0].name
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        padding = tokenizer.padding  # tokenizer.json may carry fixed padding and another truncation
        self.pad_id = int(padding["pad_id"]) if padding else int(tokenizer.token_to_id("[PAD]") or 0)
        tokenizer.no_padding()  # each batch is padded here, to its longest member
        tokenizer.enable_truncation(max_length=max_seq_length)  # special tokens included, as in ST
        self.tokenizer = tokenizer
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        width = self.session.get_outputs()[0].shape[-1]
        self.dimension = width if isinstance(width, int) else int(self.encode(["x"]).shape[1])

    def _batches(self, texts: Sequence[str]) -> Iterator[tuple[list[int], list[Encoding], np.ndarray,
                                                               np.ndarray]]:
        """(positions, encodings, token embeddings, attention mask) per batch, longest texts first
        so that each batch pads little."""
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        for lo in range(0, len(order), self.batch_size):
            picked = order[lo:lo + self.batch_size]
            batch = [encodings[i] for i in picked]
            width = max(len(e.ids) for e in batch)
            feed = {"input_ids": np.full((len(batch), width), self.pad_id, np.int64),
                    "attention_mask": np.zeros((len(batch), width), np.int64),
                    "token_type_ids": np.zeros((len(batch), width), np.int64)}
            for row, enc in enumerate(batch):
                n = len(enc.ids)
                feed["input_ids"][row, :n] = enc.ids
                feed["attention_mask"][row, :n] = 1
                feed["token_type_ids"][row, :n] = enc.type_ids
            hidden = self.session.run([self.output_name], {k: feed[k] for k in self.input_names})[0]
            yield picked, batch, hidden, feed["attention_mask"]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised mean-pooled vectors, in the order of ``texts``."""
        out: np.ndarray | None = None
        for picked, _, hidden, mask in self._batches(texts):
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            if out is None:
                out = np.empty((len(texts), pooled.shape[1]), np.float32)
            out[picked] = pooled
        return normalise(out) if out is not None else np.zeros((0, self.dimension), np.float32)

    def token_embeddings(self, texts: Sequence[str]) -> list[tuple[np.ndarray, list[tuple[int, int]]]]:
        """Each text's token embeddings (special tokens included, padding not) and the character
        offsets of its tokens ((0, 0) for special tokens), from one tokenisation."""
        out: list[tuple[np.ndarray, list[tuple[int, int]]]] = [(np.zeros(0), [])] * len(texts)
        for picked, batch, hidden, _ in self._batches(texts):
            for row, (i, enc) in enumerate(zip(picked, batch, strict=True)):
                out[i] = (hidden[row, :len(enc.ids)].astype(np.float32), list(enc.offsets))
        return out
