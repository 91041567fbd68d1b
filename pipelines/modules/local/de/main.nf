process OMICS_DE {
    tag "$meta.id"
    label 'process_medium'

    conda "${moduleDir}/../../../../environment.yml"
    container "${params.container_image ?: ''}"
    // Inputs are hashed by content for -resume (see docs/nextflow.md, "Resume"): the
    // prepared h5ad gets a new path whenever its preparation runs again (an edited contrasts
    // file), often with the same bytes.
    cache 'deep'

    input:
    // meta: [id: '<contrast>.<modality>', contrast: ..., modality: 'rna' | 'protein' | 'flow']
    // contrast: this contrast's entry of the validated contrasts file, as a contrasts YAML
    // document (so the task reruns only when its own contrast changes)
    tuple val(meta), path(h5ad), val(contrast)

    output:
    tuple val(meta), path('differential/*.results.tsv'), emit: results
    path 'versions.yml'                                 , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    """
    cat <<'END_CONTRAST' > contrasts.yaml
${contrast}
END_CONTRAST

    omics de \\
        --h5ad ${h5ad} \\
        --contrasts contrasts.yaml \\
        --contrast_id '${meta.contrast.replace("'", "'\\''")}' \\
        --modality ${meta.modality} \\
        --n_cpus ${task.cpus} \\
        ${args} \\
        --outdir .

    omics_versions.sh "${task.process}"
    """

    stub:
    // qPCR and array RNA are analysed by limma (src/omics/stages/_common.py de_method)
    def method = meta.modality == 'rna' && !(params.rna_format in ['qpcr', 'array']) ? 'deseq2' : 'limma'
    """
    mkdir -p differential
    touch 'differential/${meta.contrast}.${meta.modality}.${method}.results.tsv'

    omics_versions.sh "${task.process}"
    """
}
