"""Angiogenesis analysis of BM-MNC samples (BALI trial): RNA, protein and flow cytometry.

Namespaces follow scverse: :mod:`omics.io` (readers/writers), :mod:`omics.pp`
(filtering, normalisation), :mod:`omics.tl` (statistics), :mod:`omics.pl` (plots).
:mod:`omics.stages` holds the file-to-file pipeline stages.
"""

import os as _os

# pydeseq2 and limma fit thousands of tiny per-gene models; a multithreaded BLAS makes
# each call several times slower (measured: VST fit 17 s -> 2.8 s on 1,000 genes), so use
# one BLAS thread per process unless the user chose otherwise. Parallelism comes from
# pydeseq2's n_cpus (processes) and Nextflow tasks instead.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

__version__ = "0.1.0"

__all__ = ["__version__", "datasets", "io", "pl", "pp", "tl"]


def __getattr__(name: str):  # noqa: ANN202 - PEP 562 lazy submodules
    # Namespaces load on first use so that the CLI starts fast (`omics --help`).
    if name in {"datasets", "io", "pl", "pp", "tl", "stages", "simulate", "report"}:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'omics' has no attribute {name!r}")
