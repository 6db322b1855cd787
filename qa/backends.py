"""How the transformer runs: PyTorch through sentence-transformers, or ONNX Runtime (fp32 or int8).

Both return, for a padded batch, the token embeddings and the model's own pooled, normalised sentence
embedding. The ONNX files are exported once from the local model folder into a cache, never downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from qa.config import BACKENDS, CACHE_DIR
from qa.errors import ModelError

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class TorchBackend:
    """The reference: sentence-transformers' own modules in fp32."""

    def __init__(self, path: Path) -> None:
        from sentence_transformers import SentenceTransformer

        try:
            self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:  # any failure to load is the same problem for the user
            raise ModelError(f"cannot load the model at {path}: {exc}") from exc
        self.model.eval()

    def __call__(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        features = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
        features["token_type_ids"] = torch.from_numpy(types)
        with torch.inference_mode():
            result = self.model.forward(features)
        return result["token_embeddings"].float().numpy(), result["sentence_embedding"].float().numpy()


class OnnxBackend:
    """The same transformer exported to ONNX; pooling and normalisation as the model folder says."""

    def __init__(self, path: Path, quantized: bool, threads: int | None = None, cache_dir: Path = CACHE_DIR) -> None:
        import onnxruntime as ort

        self.pooling, self.normalize = _pooling_of(path)
        model_file = onnx_file(path, quantized, cache_dir)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # No busy-waiting between runs: the threads would take the cores FAISS and BM25 need next.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        feed = dict(zip(_INPUTS, (ids, mask, types), strict=True))
        tokens = self.session.run(None, {name: feed[name] for name in self.inputs})[0]
        if self.pooling == "cls":
            pooled = tokens[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        if self.normalize:
            pooled = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return tokens, pooled.astype(np.float32)


def make_backend(name: str, path: Path, threads: int | None = None, cache_dir: Path = CACHE_DIR) -> Any:
    if name == "torch":
        return TorchBackend(path)
    if name in ("onnx", "onnx-int8"):
        return OnnxBackend(path, quantized=name == "onnx-int8", threads=threads, cache_dir=cache_dir)
    raise ModelError(f"unknown backend {name!r} (choose from {', '.join(BACKENDS)})")


def _pooling_of(path: Path) -> tuple[str, bool]:
    modules = json.loads((path / "modules.json").read_text()) if (path / "modules.json").is_file() else []
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    unknown = [k for k in kinds if k not in ("Transformer", "Pooling", "Normalize")]
    if unknown:
        raise ModelError(f"the ONNX backend cannot run a model with {', '.join(unknown)} modules; use --backend torch")
    pooling_file = path / "1_Pooling" / "config.json"
    config = json.loads(pooling_file.read_text()) if pooling_file.is_file() else {"pooling_mode_mean_tokens": True}
    pooling = "cls" if config.get("pooling_mode_cls_token") else "mean"
    return pooling, "Normalize" in kinds


def onnx_file(path: Path, quantized: bool, cache_dir: Path = CACHE_DIR) -> Path:
    """The model's ONNX export (int8: dynamically quantised), made on first use and cached by model hash."""
    folder = cache_dir / "onnx" / f"{path.name}-{_model_hash(path)}"
    fp32 = folder / "model.onnx"
    int8 = folder / "model-int8.onnx"
    target = int8 if quantized else fp32
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    if not fp32.is_file():
        _export(path, fp32)
    if quantized:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        # quantize_dynamic writes a "<input>-inferred.onnx" beside its input and deletes it after: two processes
        # quantising at once (two evals on a new machine) deleted each other's and one failed. Each quantises
        # from a link of its own, in a folder of its own.
        with tempfile.TemporaryDirectory(dir=folder, prefix="quantising-") as work:
            own = Path(work) / "model.onnx"
            try:
                os.link(fp32, own)
            except OSError:  # a file system without hard links
                shutil.copyfile(fp32, own)
            tmp = Path(work) / "model-int8.onnx"
            quantize_dynamic(str(own), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=["MatMul"])  # fmt: skip
            os.replace(tmp, int8)
    return target


def _model_hash(path: Path) -> str:
    digest = hashlib.sha256()
    for name in ("model.safetensors", "pytorch_model.bin", "config.json"):
        file = path / name
        if file.is_file():
            digest.update(name.encode())
            digest.update(str(file.stat().st_size).encode())
            with open(file, "rb") as handle:
                digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:12]


def _export(path: Path, target: Path) -> None:
    import inspect

    import torch

    transformer = TorchBackend(path).model[0].auto_model.eval()
    accepted = inspect.signature(transformer.forward).parameters
    names = [name for name in _INPUTS if name in accepted]  # MPNet, for one, has no token types

    class Hidden(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: Any) -> Any:
            return self.model(**dict(zip(names, inputs, strict=True))).last_hidden_state

    example = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*names, "hidden")}
    tmp = target.with_suffix(f".tmp-{os.getpid()}.onnx")
    torch.onnx.export(Hidden(transformer), example, str(tmp), input_names=names, output_names=["hidden"],
                      dynamic_axes=axes, opset_version=17, dynamo=False)  # fmt: skip
    os.replace(tmp, target)
