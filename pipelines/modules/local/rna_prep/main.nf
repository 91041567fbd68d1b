process OMICS_RNA_PREP {
    tag "$meta.id"
    label 'process_single'

    conda "${moduleDir}/../../../../environment.yml"
    container "${params.container_image ?: ''}"

    input:
    tuple val(meta), path(samplesheet, stageAs: 'input/samplesheet/*'), path(contrasts, stageAs: 'input/contrasts/*'), path(rna_counts, stageAs: 'input/rna/*')

    output:
    tuple val(meta), path('rna/rna.h5ad'), emit: h5ad
    path 'versions.yml'                  , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    """
    omics rna_prep \\
        --samplesheet ${samplesheet} \\
        --contrasts ${contrasts} \\
        --rna_counts ${rna_counts} \\
        ${args} \\
        --outdir .

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        omics: \$(omics --version | sed 's/^omics //')
        python: \$(python --version 2>&1 | sed 's/^Python //')
    END_VERSIONS
    """

    stub:
    """
    mkdir -p rna
    touch rna/rna.h5ad

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        omics: \$(omics --version | sed 's/^omics //')
        python: \$(python --version 2>&1 | sed 's/^Python //')
    END_VERSIONS
    """
}
