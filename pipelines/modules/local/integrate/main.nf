process OMICS_INTEGRATE {
    tag "$meta.id"
    label 'process_single'

    conda "${moduleDir}/../../../../environment.yml"
    container "${params.container_image ?: ''}"

    input:
    // de_results and gsea_results: every table of both modalities, sorted by name so the
    // task hash (and -resume) does not depend on the order tasks finished in.
    tuple val(meta), path(rna_h5ad), path(protein_h5ad), path(de_results, stageAs: 'differential/*'), path(gsea_results, stageAs: 'enrichment/*')

    output:
    tuple val(meta), path('integration/omics.h5mu')                    , emit: h5mu
    tuple val(meta), path('integration/mrna_protein_correlation.tsv')  , emit: correlation
    tuple val(meta), path('integration/concordance.tsv')               , emit: concordance
    tuple val(meta), path('integration/concordance_summary.tsv')       , emit: summary
    tuple val(meta), path('integration/pathway_evidence.tsv')          , emit: pathways
    path 'versions.yml'                                                 , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    def de_tables = [de_results].flatten()
    def gsea_tables = [gsea_results].flatten()
    """
    omics integrate \\
        --rna_h5ad ${rna_h5ad} \\
        --protein_h5ad ${protein_h5ad} \\
        ${de_tables ? "--de_results ${de_tables.join(' ')}" : ''} \\
        ${gsea_tables ? "--gsea_results ${gsea_tables.join(' ')}" : ''} \\
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
    mkdir -p integration
    touch integration/omics.h5mu integration/mrna_protein_correlation.tsv
    touch integration/concordance.tsv integration/concordance_summary.tsv integration/pathway_evidence.tsv

    cat <<-END_VERSIONS > versions.yml
    "${task.process}":
        omics: \$(omics --version | sed 's/^omics //')
        python: \$(python --version 2>&1 | sed 's/^Python //')
    END_VERSIONS
    """
}
