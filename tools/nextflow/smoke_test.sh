#!/usr/bin/env bash
# Smoke test for the offline Nextflow in tools/nextflow (run install.sh first,
# or let this script do it). Runs, in a temp dir:
#   1. nextflow -version
#   2. nextflow config on a trivial config (plain and -flat with a profile)
#   3. a DSL2 pipeline (tuple val(meta), path(x) input, publishDir) on the local
#      executor, then again with -resume: every task must be reported as cached
#   4. checks no plugin was requested and nothing was written to ~/.nextflow
# Prints "N passed, N failed" at the end; exits non-zero on any failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NXF=$("$HERE/install.sh")
# short test runs start much faster with the C1 JIT only (see README.md)
export NXF_OPTS=${NXF_OPTS:--XX:TieredStopAtLevel=1}

work=$(mktemp -d "${TMPDIR:-/tmp}/nf-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

passed=0; failed=0
ok()   { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }

home_before=$(test -e "$HOME/.nextflow" && echo yes || echo no)

# 1. version
out=$("$NXF" -version 2>&1) || true
check "nextflow -version" grep -q 'version [0-9]' <<<"$out"

# 2. config
cat > nextflow.config <<'EOF'
params {
    outdir = 'results'
    greeting = 'hi'
}
process {
    executor = 'local'
    withName: 'UPPER' { cpus = 1 }
}
profiles {
    test { params.greeting = 'from-profile' }
}
EOF
out=$("$NXF" config 2>&1) || true
check "nextflow config" grep -q "greeting = 'hi'" <<<"$out"
out=$("$NXF" config -flat -profile test 2>&1) || true
check "nextflow config -flat -profile test" grep -q "params.greeting = 'from-profile'" <<<"$out"

# 3. pipeline + resume
mkdir -p data
echo hello > data/a.txt
echo world > data/b.txt
cat > main.nf <<'EOF'
process UPPER {
    tag "${meta.id}"
    publishDir "${params.outdir}/upper", mode: 'copy'

    input:
    tuple val(meta), path(x)

    output:
    tuple val(meta), path("${meta.id}.upper.txt"), emit: txt

    script:
    """
    tr a-z A-Z < ${x} > ${meta.id}.upper.txt
    """
}

process COUNT {
    tag "${meta.id}"
    publishDir "${params.outdir}/count", mode: 'copy'

    input:
    tuple val(meta), path(x)

    output:
    tuple val(meta), path("${meta.id}.count.txt")

    script:
    """
    wc -c < ${x} | tr -d ' ' > ${meta.id}.count.txt
    """
}

workflow {
    ch = Channel.fromPath("${projectDir}/data/*.txt").map { f -> tuple([id: f.baseName], f) }
    UPPER(ch)
    COUNT(UPPER.out.txt)
    COUNT.out.view { meta, f -> "${meta.id}: ${f.text.trim()}" }
}
EOF
out1=$("$NXF" run main.nf -ansi-log false 2>&1) || { printf '%s\n' "$out1"; true; }
check "run: 4 tasks submitted" test "$(grep -c 'Submitted process' <<<"$out1")" -eq 4
check "run: publishDir outputs" test "$(cat results/upper/a.upper.txt 2>/dev/null)" = HELLO -a -f results/count/b.count.txt
out2=$("$NXF" run main.nf -ansi-log false -resume 2>&1) || { printf '%s\n' "$out2"; true; }
check "resume: 4 tasks cached" test "$(grep -c 'Cached process' <<<"$out2")" -eq 4
check "resume: nothing re-submitted" test "$(grep -c 'Submitted process' <<<"$out2")" -eq 0

# 4. no plugins, nothing in ~/.nextflow
check "no plugin requested" grep -q 'Plugins resolved requirement=\[\]' .nextflow.log
home_after=$(test -e "$HOME/.nextflow" && echo yes || echo no)
check "nothing created in ~/.nextflow" test "$home_before" = "$home_after"

echo "nextflow smoke test: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
