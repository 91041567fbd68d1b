#!/usr/bin/env bash
# Copy the committed test cohort (tests/data/test_cohort) into the package data read by
# omics.datasets.demo_cohort(); run after regenerating the test cohort.
# tests/test_report.py::test_demo_cohort_ships_the_test_cohort fails when they drift.
set -euo pipefail
cd "$(dirname "$0")/.."
src=tests/data/test_cohort
dst=metadata/demo
cp "$src/samplesheet.csv" "$src/contrasts.yaml" "$dst/"
for name in salmon.merged.gene_counts.tsv proteinGroups.txt; do
  gzip -n -9 -c "$src/$name" > "$dst/$name.gz"
done
