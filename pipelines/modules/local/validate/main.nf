process OMICS_VALIDATE {
    tag "$meta.id"
    label 'process_single'

    conda "${moduleDir}/../../../../environment.yml"
    container "${params.container_image ?: ''}"

    input:
    // Inputs are staged in their own folders so that two inputs with the same file name
    // cannot collide and the outputs (validated/) never overwrite an input.
    tuple val(meta), path(samplesheet, stageAs: 'input/samplesheet/*'), path(contrasts, stageAs: 'input/contrasts/*'), path(rna_counts, stageAs: 'input/rna/*'), path(protein_matrix, stageAs: 'input/protein/*')
    // Gene-set files each in a folder of their own (genesets/1/, genesets/2/, ...): two
    // files of the same name from different folders do not collide.
    path(genesets, stageAs: 'genesets/?/*')
    path(background_genesets, stageAs: 'background_genesets/?/*')
    path(qpcr_efficiency, stageAs: 'input/qpcr_efficiency/*')
    // Flow cytometry, checked here as `omics run` checks it before anything runs (FCS
    // headers and channels against the gating strategy, or the population table): either
    // flow_table ([] when not given), flow_gating ([] for the shipped template), and FCS files
    // one by one: fcs_column ([root:, folder:, names:], [:] without) and fcs_files,
    // each staged in a folder of its own and linked at <root>/<folder>/<name>, the folder given
    // as --flow_fcs (pipelines/bin/omics_fcs_links.sh): the names of the sample sheet's `fcs`
    // column (root input/fcs_column), or the workflow's files of the --flow_fcs folder (root
    // input/fcs, folder '': each file hashed for -resume, see workflows/angiogenesis.nf fcsFolder).
    tuple path(flow_table, stageAs: 'input/flow_table/*'), path(flow_gating, stageAs: 'input/gating/*'), val(fcs_column), path(fcs_files, stageAs: 'input/fcs_files/?/*')
    // SHA-256 of the sample sheet, contrasts, gene sets, efficiencies, flow table and gating
    // (workflows/angiogenesis.nf designDigest): the check reruns when one is edited, even
    // with its size and date unchanged. Not used by the script.
    val(design_sha256)

    output:
    tuple val(meta), path('validated/samplesheet.csv'), emit: samplesheet
    tuple val(meta), path('validated/contrasts.yaml') , emit: contrasts
    tuple val(meta), path('validated/validation.json'), emit: json
    path 'versions.yml'                               , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def args = task.ext.args ?: ''
    // The RNA file is given as --rna_matrix for the qpcr/array formats (and when the user did).
    def rna = rna_counts ? "${params.rna_matrix ? '--rna_matrix' : '--rna_counts'} ${rna_counts}" : ''
    def efficiency = qpcr_efficiency ? "--qpcr_efficiency ${qpcr_efficiency}" : ''
    def protein = protein_matrix ? "--protein_matrix ${protein_matrix}" : ''
    // gene-set files joined with commas: a plain string, which Nextflow does not escape as it
    // does a path, so quoted here (a name may hold a space, a quote or an apostrophe)
    def quote = { value -> "'" + value.toString().replace("'", "'\\''") + "'" }
    def panel = genesets ? "--genesets ${quote([genesets].flatten().join(','))}" : ''
    def background = background_genesets ? "--background_genesets ${quote([background_genesets].flatten().join(','))}" : ''
    def table = flow_table ? "--flow_table ${flow_table}" : ''
    def fcs_folder = fcs_column ? [fcs_column.root, fcs_column.folder].findAll { it }.join('/') : ''
    def fcs_links = fcs_column ? "omics_fcs_links.sh ${quote(fcs_folder)} " +
        [fcs_column.names, [fcs_files].flatten()].transpose().collect { name, staged -> "${quote(name)} ${quote(staged)}" }.join(' ') : ''
    def fcs = fcs_column ? "--flow_fcs ${quote(fcs_folder)}" : ''
    def strategy = flow_gating ? "--flow_gating ${flow_gating}" : ''
    """
    ${fcs_links}

    omics validate \\
        --input ${samplesheet} \\
        --contrasts ${contrasts} \\
        ${rna} \\
        ${efficiency} \\
        ${protein} \\
        ${panel} \\
        ${background} \\
        ${table} \\
        ${fcs} \\
        ${strategy} \\
        ${args} \\
        --outdir .

    omics_versions.sh "${task.process}"
    """

    stub:
    // The contrasts are copied when they are YAML so that a stub run still fans out.
    def yaml = contrasts.name ==~ /.*\.ya?ml$/
    def quote = { value -> "'" + value.toString().replace("'", "'\\''") + "'" }
    def fcs_links = fcs_column ? "omics_fcs_links.sh ${quote([fcs_column.root, fcs_column.folder].findAll { it }.join('/'))} " +
        [fcs_column.names, [fcs_files].flatten()].transpose().collect { name, staged -> "${quote(name)} ${quote(staged)}" }.join(' ') : ''
    """
    ${fcs_links}
    mkdir -p validated
    touch validated/samplesheet.csv validated/validation.json
    ${yaml ? "cp ${contrasts} validated/contrasts.yaml" : "echo 'contrasts: []' > validated/contrasts.yaml"}

    omics_versions.sh "${task.process}"
    """
}
