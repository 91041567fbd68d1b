process OMICS_ENRICH {
    tag "$meta.id"
    label 'process_single'

    conda "${moduleDir}/../../../../environment.yml"
    container "${params.container_image ?: ''}"

    input:
    // de_results keeps its name <contrast>.<modality>.<method>.results.tsv: the stage reads
    // the contrast and modality from it.
    tuple val(meta), path(de_results)
    path(genesets, stageAs: 'genesets/?/*')
    path(background_genesets, stageAs: 'background_genesets/?/*')

    output:
    tuple val(meta), path('enrichment/*.gsea.tsv'), emit: gsea
    tuple val(meta), path('enrichment/*.ora.tsv') , emit: ora
    path 'versions.yml'                            , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    // gene-set files joined with commas: a plain string, which Nextflow does not escape as it
    // does a path, so quoted here (a name may hold a space, a quote or an apostrophe)
    def quote = { value -> "'" + value.toString().replace("'", "'\\''") + "'" }
    def panel = genesets ? "--genesets ${quote([genesets].flatten().join(','))}" : ''
    def background = background_genesets ? "--background_genesets ${quote([background_genesets].flatten().join(','))}" : ''
    """
    omics enrich \\
        --de_results ${de_results} \\
        ${panel} \\
        ${background} \\
        ${args} \\
        --outdir .

    omics_versions.sh "${task.process}"
    """

    stub:
    """
    mkdir -p enrichment
    touch 'enrichment/${meta.contrast}.${meta.modality}.gsea.tsv' 'enrichment/${meta.contrast}.${meta.modality}.ora.tsv'

    omics_versions.sh "${task.process}"
    """
}
