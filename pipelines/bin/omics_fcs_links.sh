#!/usr/bin/env bash
# Lays out the FCS files named in a sample sheet's `fcs` column for `omics --flow_fcs`:
#   omics_fcs_links.sh <folder> [<name> <staged file>]...
# <name> is the sheet's value as written (relative to the sheet's folder: P1.fcs,
# sub/P1.fcs, ../fcs/P1.fcs; or absolute) and <staged file> the file Nextflow staged for it
# (input/fcs_files/<i>/<file name>: one folder per file, so two files of the same name do
# not collide). Each relative name gets a link <folder>/<name> to its staged file: given
# --flow_fcs <folder>, omics resolves the sheet's relative names there as `omics run`
# resolves them against the sheet's folder (workflows/angiogenesis.nf, fcsColumn, picks a
# <folder> deep enough for names climbing with ..). Absolute names are read where they are
# (staged only so that Nextflow tracks and mounts them): no link. A name given twice is
# linked once (omics then stops: one file for two samples), as for `omics run`.
set -euo pipefail
if (( $# < 1 || $# % 2 != 1 )); then
    echo "usage: omics_fcs_links.sh <folder> [<name> <staged file>]..." >&2
    exit 2
fi
folder=$1
shift
mkdir -p "$folder"
while (( $# >= 2 )); do
    name=$1
    staged=$2
    shift 2
    [[ $name == /* ]] && continue
    link="$folder/$name"
    mkdir -p "$(dirname "$link")"
    if [[ ! -e $link && ! -L $link ]]; then
        ln -s "$PWD/$staged" "$link"
    fi
done
