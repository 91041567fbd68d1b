# The container image for `-profile docker|singularity|apptainer` (--container_image). It is not
# published anywhere: build it yourself and pass its name, e.g.
#   docker build -t omics-angiogenesis:0.1.0 .
#   nextflow run . -profile test,docker --container_image omics-angiogenesis:0.1.0 --outdir results
# Apptainer/Singularity, from the local Docker image or straight from this file's image in a registry:
#   apptainer build omics-angiogenesis_0.1.0.sif docker-daemon://omics-angiogenesis:0.1.0
#   nextflow run . -profile test,apptainer --container_image ./omics-angiogenesis_0.1.0.sif --outdir results
# The image installs exactly the pinned set of constraints.txt (tests/test_packaging.py checks it).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 MPLCONFIGDIR=/tmp NUMBA_CACHE_DIR=/tmp MPLBACKEND=Agg
RUN apt-get update && apt-get install -y --no-install-recommends procps && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/omics
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
COPY metadata ./metadata
RUN pip install --constraint constraints.txt . && omics --version
