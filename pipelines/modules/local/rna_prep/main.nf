process OMICS_RNA_PREP {
    tag "$meta.id"
    label 'process_single'

    conda "${moduleDir}/../../../../environment.yml"
    container "${params.container_image ?: ''}"
    // Inputs are hashed by content for -resume (see docs/nextflow.md, "Resume"): the
    // validated sample sheet and contrasts get a new path whenever OMICS_VALIDATE runs
    // again (an edited input, a parameter it checks), with the same bytes.
    cache 'deep'

    input:
    tuple val(meta), path(samplesheet, stageAs: 'input/samplesheet/*'), path(contrasts, stageAs: 'input/contrasts/*'), path(rna_counts, stageAs: 'input/rna/*')
    path(qpcr_efficiency, stageAs: 'input/qpcr_efficiency/*')

    output:
    tuple val(meta), path('rna/rna.h5ad'), emit: h5ad
    // qPCR input only: qpcr_replicates.tsv, and with geNorm qpcr_genorm.tsv and qpcr_genorm_variation.tsv
    tuple val(meta), path('rna/qpcr_*.tsv'), emit: qpcr, optional: true
    path 'versions.yml'                  , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    // qPCR Ct tables and array matrices are given as --rna_matrix (rna_format in ext.args)
    def rna_flag = params.rna_matrix ? '--rna_matrix' : '--rna_counts'
    def efficiency = qpcr_efficiency ? "--qpcr_efficiency ${qpcr_efficiency}" : ''
    """
    omics rna_prep \\
        --samplesheet ${samplesheet} \\
        --contrasts ${contrasts} \\
        ${rna_flag} ${rna_counts} \\
        ${efficiency} \\
        ${args} \\
        --outdir .

    omics_versions.sh "${task.process}"
    """

    stub:
    """
    mkdir -p rna
    touch rna/rna.h5ad

    omics_versions.sh "${task.process}"
    """
}
