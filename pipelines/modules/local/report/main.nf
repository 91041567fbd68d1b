process OMICS_REPORT {
    tag "$meta.id"
    label 'process_low'

    conda "${moduleDir}/../../../../environment.yml"
    container "${params.container_image ?: ''}"

    input:
    // The results are staged in the folders of the results layout, so the report sees
    // what it sees after `omics run` (every task's outputs); `omics report` finds files by
    // name. Any list may be [] (e.g. integration/ with one modality, gating plots without
    // FCS files). h5ad: the prepared modalities (the heatmaps of the top genes), with qPCR
    // input also rna/qpcr_*.tsv (the methods name the geNorm candidates and M values).
    tuple val(meta), path(validated, stageAs: 'validated/*'), path(h5ad, stageAs: 'prepared/*'), path(qc, stageAs: 'qc/*'), path(de_results, stageAs: 'differential/*'), path(enrichment, stageAs: 'enrichment/*'), path(scores, stageAs: 'scores/*'), path(integration, stageAs: 'integration/*'), path(gating_plots, stageAs: 'flow/gating_plots/*')
    // The gene sets tested (the running-score curves need their members); [] when unset.
    path(genesets, stageAs: 'genesets/?/*')
    path(background_genesets, stageAs: 'background_genesets/?/*')
    // The run's parameters as JSON (the workflow's paramsJson()): written, resolved as
    // `omics run` resolves them, to pipeline_info/params.yaml, which `omics report` reads
    // for the methods and the "Parameters of this run" table, and which is published.
    val(run_params)

    output:
    tuple val(meta), path('report/index.html')         , emit: html
    tuple val(meta), path('pipeline_info/params.yaml') , emit: params
    path 'versions.yml'                                , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    // gene-set files joined with commas: a plain string, which Nextflow does not escape as it
    // does a path, so quoted here (a name may hold a space, a quote or an apostrophe)
    def quote = { value -> "'" + value.toString().replace("'", "'\\''") + "'" }
    def panel = genesets ? "--genesets ${quote([genesets].flatten().join(','))}" : ''
    def background = background_genesets ? "--background_genesets ${quote([background_genesets].flatten().join(','))}" : ''
    // n_cpus in params.yaml is this task's CPUs: the report's workers (each task has its own)
    """
    printf '%s\\n' '${run_params.replace("'", "'\\''")}' > params.json
    omics_params.sh params.json ${task.cpus}

    omics report \\
        --results_dir . \\
        ${panel} \\
        ${background} \\
        --n_cpus ${task.cpus} \\
        ${args} \\
        --outdir .

    omics_versions.sh "${task.process}"
    """

    stub:
    """
    printf '%s\\n' '${run_params.replace("'", "'\\''")}' > params.json
    omics_params.sh params.json ${task.cpus}

    mkdir -p report
    touch report/index.html

    omics_versions.sh "${task.process}"
    """
}
