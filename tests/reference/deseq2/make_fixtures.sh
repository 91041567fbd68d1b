#!/usr/bin/env bash
# Regenerate the R DESeq2 reference fixtures in tests/data/deseq2/ from the nf-core
# SRP254919 test data (needs R with DESeq2; made with DESeq2 1.38).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
data="${NFCORE_RNASEQ_EXPRESSION:-$repo/../shared/data/nfcore-testdata/data/genomics/mus_musculus/rnaseq_expression}"
out="$repo/tests/data/deseq2"
mkdir -p "$out"

counts="$data/SRP254919.salmon.merged.gene_counts.top1000cov.tsv"
sheet="$data/SRP254919.samplesheet.csv"

Rscript "$here/run_deseq2.R" "$counts" "$sheet" "~ treatment" \
    treatment hND6 mCherry 10 3 "$out/SRP254919_treatment.deseq2.tsv"
Rscript "$here/run_deseq2.R" "$counts" "$sheet" "~ sample_number + treatment" \
    treatment hND6 mCherry 10 3 "$out/SRP254919_sample_number_treatment.deseq2.tsv"
Rscript -e 'cat("DESeq2", as.character(packageVersion("DESeq2")), "\n")' \
    > "$out/VERSION.txt"

# (b) the bundled simulated BALI-like test cohort (omics simulate --profile test),
# design ~ arm + response, responders vs non-responders; filter as the pipeline's default
# (>= 10 counts in >= 7 samples: the smallest group of its contrasts).
cohort="$repo/tests/data/test_cohort"
Rscript "$here/run_deseq2.R" "$cohort/salmon.merged.gene_counts.tsv" "$cohort/samplesheet.csv" \
    "~ arm + response" response responder non_responder 10 7 \
    "$out/bali_test_cohort_arm_response.deseq2.tsv"
rm -f "$out"/bali_test_cohort_arm_response.deseq2.tsv.{vst,dispersions}.tsv  # large; not compared
