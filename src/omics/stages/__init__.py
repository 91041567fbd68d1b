"""Pipeline stages: one function per stage, files in, files out, no statistics of their own.

The CLI (``omics <stage>``), the local runner (``omics run``) and the Nextflow modules
all call these functions.
"""

from .._lazy import lazy_attributes
from ..params import STAGE_PARAMS

# Stage modules load on first use (PEP 562): a stage process imports only its own stage.
_LAZY = {"de": "._de", "enrich": "._enrich", "flow_prep": "._flow", "integrate": "._integrate",
         "protein_prep": "._prep", "rna_prep": "._prep", "qc": "._qc", "report": "._report",
         "score": "._score", "validate": "._validate"}

__all__ = ["STAGE_PARAMS", "de", "enrich", "flow_prep", "integrate", "protein_prep", "qc", "report",
           "rna_prep", "score", "validate"]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
