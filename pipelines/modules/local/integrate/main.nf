process OMICS_INTEGRATE {
    tag "$meta.id"
    label 'process_low'

    conda "${moduleDir}/../../../../environment.yml"
    container "${params.container_image ?: ''}"

    input:
    // de_results and gsea_results: every table of both modalities, sorted by name so the
    // task hash (and -resume) does not depend on the order tasks finished in.
    // flow_h5ad and scores are [] without flow cytometry; rna_h5ad or protein_h5ad is []
    // when only flow and the other one were measured (then only the flow-score correlation).
    tuple val(meta), path(rna_h5ad), path(protein_h5ad), path(de_results, stageAs: 'differential/*'), path(gsea_results, stageAs: 'enrichment/*'), path(flow_h5ad), path(scores, stageAs: 'scores/*')

    output:
    tuple val(meta), path('integration/omics.h5mu')                    , emit: h5mu, optional: true
    tuple val(meta), path('integration/mrna_protein_correlation.tsv')  , emit: correlation, optional: true
    tuple val(meta), path('integration/concordance.tsv')               , emit: concordance, optional: true
    tuple val(meta), path('integration/concordance_summary.tsv')       , emit: summary, optional: true
    tuple val(meta), path('integration/pathway_evidence.tsv')          , emit: pathways, optional: true
    tuple val(meta), path('integration/flow_score_correlation.tsv')    , emit: flow_correlation, optional: true
    path 'versions.yml'                                                 , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    def de_tables = [de_results].flatten()
    def gsea_tables = [gsea_results].flatten()
    def flow = flow_h5ad ? "--flow_h5ad ${flow_h5ad} --scores ${scores}" : ''
    def rna = rna_h5ad ? "--rna_h5ad ${rna_h5ad}" : ''
    def protein = protein_h5ad ? "--protein_h5ad ${protein_h5ad}" : ''
    """
    omics integrate \\
        ${rna} \\
        ${protein} \\
        ${de_tables ? "--de_results ${de_tables.join(' ')}" : ''} \\
        ${gsea_tables ? "--gsea_results ${gsea_tables.join(' ')}" : ''} \\
        ${flow} \\
        --n_cpus ${task.cpus} \\
        ${args} \\
        --outdir .

    omics_versions.sh "${task.process}"
    """

    stub:
    def both = rna_h5ad && protein_h5ad
    """
    mkdir -p integration
    ${both ? 'touch integration/omics.h5mu integration/mrna_protein_correlation.tsv' : 'touch integration/flow_score_correlation.tsv'}
    ${both ? 'touch integration/concordance.tsv integration/concordance_summary.tsv integration/pathway_evidence.tsv' : ''}

    omics_versions.sh "${task.process}"
    """
}
