process OMICS_FLOW_PREP {
    tag "$meta.id"
    label 'process_low'

    conda "${moduleDir}/../../../../environment.yml"
    container "${params.container_image ?: ''}"
    // Inputs are hashed by content for -resume (see docs/nextflow.md, "Resume"): the
    // validated sample sheet and contrasts get a new path whenever OMICS_VALIDATE runs
    // again (an edited input, a parameter it checks), with the same bytes.
    cache 'deep'

    input:
    // flow_table ([] when not given); gating is [] for the shipped BM-MNC progenitor
    // template. Or FCS files one by one (the sample sheet's `fcs`
    // column, or the files of the --flow_fcs folder, as the workflow passes them): fcs_column
    // ([root:, folder:, names:], [:] without) and fcs_files, each staged in a folder of its own
    // and linked where omics looks for them (pipelines/bin/omics_fcs_links.sh), as in OMICS_VALIDATE.
    tuple val(meta), path(samplesheet, stageAs: 'input/samplesheet/*'), path(flow_table, stageAs: 'input/flow_table/*'), path(flow_gating, stageAs: 'input/gating/*'), val(fcs_column), path(fcs_files, stageAs: 'input/fcs_files/?/*')

    output:
    tuple val(meta), path('flow/flow.h5ad')               , emit: h5ad
    tuple val(meta), path('qc/flow.qc.tsv')               , emit: qc
    tuple val(meta), path('flow/gating_plots/*.png')      , emit: plots, optional: true
    path 'versions.yml'                                   , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    def table = flow_table ? "--flow_table ${flow_table}" : ''
    def quote = { value -> "'" + value.toString().replace("'", "'\\''") + "'" }
    def fcs_folder = fcs_column ? [fcs_column.root, fcs_column.folder].findAll { it }.join('/') : ''
    def fcs_links = fcs_column ? "omics_fcs_links.sh ${quote(fcs_folder)} " +
        [fcs_column.names, [fcs_files].flatten()].transpose().collect { name, staged -> "${quote(name)} ${quote(staged)}" }.join(' ') : ''
    def fcs = fcs_column ? "--flow_fcs ${quote(fcs_folder)}" : ''
    def strategy = flow_gating ? "--flow_gating ${flow_gating}" : ''
    """
    ${fcs_links}

    omics flow_prep \\
        --samplesheet ${samplesheet} \\
        ${table} \\
        ${fcs} \\
        ${strategy} \\
        --n_cpus ${task.cpus} \\
        ${args} \\
        --outdir .

    omics_versions.sh "${task.process}"
    """

    stub:
    def quote = { value -> "'" + value.toString().replace("'", "'\\''") + "'" }
    def fcs_links = fcs_column ? "omics_fcs_links.sh ${quote([fcs_column.root, fcs_column.folder].findAll { it }.join('/'))} " +
        [fcs_column.names, [fcs_files].flatten()].transpose().collect { name, staged -> "${quote(name)} ${quote(staged)}" }.join(' ') : ''
    """
    ${fcs_links}
    mkdir -p flow qc
    touch flow/flow.h5ad qc/flow.qc.tsv

    omics_versions.sh "${task.process}"
    """
}
