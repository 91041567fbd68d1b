process OMICS_SCORE {
    tag "$meta.id"
    label 'process_single'

    conda "${moduleDir}/../../../../environment.yml"
    container "${params.container_image ?: ''}"

    input:
    // Any h5ad may be [] when that modality was not given.
    tuple val(meta), path(rna_h5ad), path(protein_h5ad), path(flow_h5ad)
    path(genesets, stageAs: 'genesets/?/*')

    output:
    tuple val(meta), path('scores/angiogenesis_scores.tsv'), emit: scores
    tuple val(meta), path('scores/response_model.tsv')     , emit: response_model
    // ROC points of the response model's cross-validation, which the report draws
    tuple val(meta), path('scores/response_roc.tsv')       , emit: roc, optional: true
    tuple val(meta), path('scores/score_phenotype_correlation.tsv'), emit: phenotype, optional: true
    tuple val(meta), path('scores/score_redundancy.tsv')   , emit: redundancy
    // only when the sample sheet has afs_days/afs_event
    tuple val(meta), path('scores/survival_model.tsv')     , optional: true, emit: survival
    tuple val(meta), path('scores/km_curves.tsv')          , optional: true, emit: km_curves
    tuple val(meta), path('scores/km_logrank.tsv')         , optional: true, emit: km_logrank
    path 'versions.yml'                                     , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    def rna = rna_h5ad ? "--rna_h5ad ${rna_h5ad}" : ''
    def protein = protein_h5ad ? "--protein_h5ad ${protein_h5ad}" : ''
    def flow = flow_h5ad ? "--flow_h5ad ${flow_h5ad}" : ''
    // gene-set files joined with commas: a plain string, which Nextflow does not escape as it
    // does a path, so quoted here (a name may hold a space, a quote or an apostrophe)
    def quote = { value -> "'" + value.toString().replace("'", "'\\''") + "'" }
    def panel = genesets ? "--genesets ${quote([genesets].flatten().join(','))}" : ''
    """
    omics score \\
        ${rna} \\
        ${protein} \\
        ${flow} \\
        ${panel} \\
        --n_cpus ${task.cpus} \\
        ${args} \\
        --outdir .

    omics_versions.sh "${task.process}"
    """

    stub:
    """
    mkdir -p scores
    touch scores/angiogenesis_scores.tsv scores/response_model.tsv scores/score_redundancy.tsv

    omics_versions.sh "${task.process}"
    """
}
