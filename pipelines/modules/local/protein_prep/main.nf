process OMICS_PROTEIN_PREP {
    tag "$meta.id"
    label 'process_single'

    conda "${moduleDir}/../../../../environment.yml"
    container "${params.container_image ?: ''}"
    // Inputs are hashed by content for -resume (see docs/nextflow.md, "Resume"): the
    // validated sample sheet and contrasts get a new path whenever OMICS_VALIDATE runs
    // again (an edited input, a parameter it checks), with the same bytes.
    cache 'deep'

    input:
    tuple val(meta), path(samplesheet, stageAs: 'input/samplesheet/*'), path(contrasts, stageAs: 'input/contrasts/*'), path(protein_matrix, stageAs: 'input/protein/*')

    output:
    tuple val(meta), path('protein/protein.h5ad'), emit: h5ad
    path 'versions.yml'                          , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    """
    omics protein_prep \\
        --samplesheet ${samplesheet} \\
        --contrasts ${contrasts} \\
        --protein_matrix ${protein_matrix} \\
        ${args} \\
        --outdir .

    omics_versions.sh "${task.process}"
    """

    stub:
    """
    mkdir -p protein
    touch protein/protein.h5ad

    omics_versions.sh "${task.process}"
    """
}
