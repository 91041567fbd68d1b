process OMICS_QC {
    tag "$meta.id"
    label 'process_single'

    conda "${moduleDir}/../../../../environment.yml"
    container "${params.container_image ?: ''}"

    input:
    tuple val(meta), path(h5ad)

    output:
    tuple val(meta), path("qc/${meta.modality}.pca.tsv")               , emit: pca
    tuple val(meta), path("qc/${meta.modality}.pca_variance.txt")      , emit: pca_variance
    tuple val(meta), path("qc/${meta.modality}.sample_correlation.tsv"), emit: correlation
    tuple val(meta), path("qc/${meta.modality}.outliers.tsv")          , emit: outliers
    path 'versions.yml'                                                 , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    """
    omics qc \\
        --h5ad ${h5ad} \\
        --modality ${meta.modality} \\
        ${args} \\
        --outdir .

    omics_versions.sh "${task.process}"
    """

    stub:
    """
    mkdir -p qc
    touch qc/${meta.modality}.pca.tsv qc/${meta.modality}.pca_variance.txt
    touch qc/${meta.modality}.sample_correlation.tsv qc/${meta.modality}.outliers.tsv

    omics_versions.sh "${task.process}"
    """
}
