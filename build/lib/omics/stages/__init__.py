"""Pipeline stages: one function per stage, files in, files out, no statistics of their own.

The CLI (``omics <stage>``), the local runner (``omics run``) and the Nextflow modules
all call these functions.
"""

from ..params import STAGE_PARAMS
from ._de import de
from ._enrich import enrich
from ._integrate import integrate
from ._prep import protein_prep, rna_prep
from ._qc import qc
from ._report import report
from ._score import score
from ._validate import validate

__all__ = ["STAGE_PARAMS", "de", "enrich", "integrate", "protein_prep", "qc", "report",
           "rna_prep", "score", "validate"]
