# The image named by the `container` directive of every Nextflow process
# (ghcr.io/bali-omics/angiogenesis:<version>). Build: docker build -t ghcr.io/bali-omics/angiogenesis:0.1.0 .
# Not built in CI (no container engine there); the conda/venv paths are tested instead.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 MPLCONFIGDIR=/tmp NUMBA_CACHE_DIR=/tmp
RUN apt-get update && apt-get install -y --no-install-recommends procps && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/omics
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
COPY metadata ./metadata
RUN pip install -c constraints.txt . && omics --version
