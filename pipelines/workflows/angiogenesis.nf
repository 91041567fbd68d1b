/*
 * ANGIOGENESIS: the DAG of `omics run` (src/omics/dag.py), one process per stage call.
 *
 *   validate -> rna_prep -----> de(rna, contrast) -----> enrich(rna, contrast) -----\
 *            -> protein_prep -> de(protein, contrast) -> enrich(protein, contrast) --> integrate -> report
 *                           \-> qc (per modality)        score (all modalities) ----/
 *
 * RNA and protein are each optional (at least one is required); integrate runs with both
 * (mRNA-protein integration), or with flow and either (the flow-score correlation alone). Flow cytometry (flow_fcs, flow_table or an `fcs` column in the sample sheet) adds flow_prep -> de(flow, contrast) and
 * its populations to score and integrate (no enrichment). DE and ENRICH fan out over modality x contrast, the contrasts being read from
 * the validated contrasts file once OMICS_VALIDATE has checked it (each DE task gets its own entry).
 */

import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import org.yaml.snakeyaml.Yaml

include { OMICS_VALIDATE     } from '../modules/local/validate/main'
include { OMICS_RNA_PREP     } from '../modules/local/rna_prep/main'
include { OMICS_PROTEIN_PREP } from '../modules/local/protein_prep/main'
include { OMICS_FLOW_PREP    } from '../modules/local/flow_prep/main'
include { OMICS_QC           } from '../modules/local/qc/main'
include { OMICS_DE           } from '../modules/local/de/main'
include { OMICS_ENRICH       } from '../modules/local/enrich/main'
include { OMICS_SCORE        } from '../modules/local/score/main'
include { OMICS_INTEGRATE    } from '../modules/local/integrate/main'
include { OMICS_REPORT       } from '../modules/local/report/main'

/*
 * Helpers
 */

// [id, YAML] of each contrast in a validated contrasts YAML (written by `omics validate`):
// the contrast's entry alone as a contrasts document. OMICS_DE gets its contrast this way,
// so its task hash changes only with its own contrast (an added or edited contrast reruns
// its own tasks on -resume, as `omics run` keys them), not with the whole file.
def contrastEntries(contrasts_yaml) {
    def yaml = new Yaml()
    def document = yaml.load(contrasts_yaml.text) ?: [:]
    return (document.contrasts ?: []).collect { contrast ->
        [contrast.id.toString(), yaml.dump([contrasts: [contrast]])]
    }
}

// A path parameter as omics reads it (src/omics/params.py expand_home): a leading ~ or ~/ is
// the home folder ($HOME), in a -params-file too, where no shell expands it. Nextflow's file()
// would take ~ as a folder of that name in the launch folder. Other values as they are.
def userPath(value) {
    if (value == null || value instanceof Boolean || value instanceof Collection) {
        return value
    }
    def text = value.toString()
    def home = System.getenv('HOME') ?: System.getProperty('user.home')
    return text == '~' || text.startsWith('~/') ? home + text.substring(1) : text
}

// A comma-separated list of files (the genesets parameters) as staged paths; [] when unset,
// empty (true: Nextflow's value for --genesets '') or `none`. A params file may give a list.
def geneSetFiles(value) {
    if (value == null || value instanceof Boolean || value.toString().trim().toLowerCase() in ['', 'none']) {
        return []
    }
    def names = value instanceof List ? value*.toString() : value.toString().tokenize(',')
    return names*.trim().findAll { it }.collect { file(userPath(it), checkIfExists: true) }
}

// The sample sheet as `omics` reads it (src/omics/io/_tables.py read_table), for the FCS
// files its `fcs` column names: [header, [[line number, fields], ...]]. Plain or gzipped UTF-8
// text; a byte-order mark is dropped; lines end in LF, CRLF or CR; the delimiter (tab, comma
// or semicolon) is the one the header line holds most of (tab before comma before semicolon
// on a tie); a field starting with " is quoted ("" inside is one "), and may hold the
// delimiter or a line break; blank lines are skipped; fields are trimmed. A header with one
// field fewer than the first data row whose last field is filled (R's write.table) has row
// names in the first column: they are dropped.
def readSampleSheet(sheet) {
    def bytes = sheet.bytes
    def gzip = bytes.length > 1 && bytes[0] == (byte) 0x1f && bytes[1] == (byte) 0x8b
    def text = gzip ? new java.util.zip.GZIPInputStream(new ByteArrayInputStream(bytes)).getText('UTF-8')
                    : new String(bytes, 'UTF-8')
    if (text.startsWith('\uFEFF')) {
        text = text.substring(1)
    }
    def header_line = text.readLines().find { it.trim() } ?: ''
    def separator = ['\t', ',', ';'].inject { best, sep -> header_line.count(sep) > header_line.count(best) ? sep : best }
    def records = []
    def fields = []
    def field = new StringBuilder()
    def quoted = false
    def at_start = true     // at the start of a field: a " there opens a quoted field
    def line = 1
    def record_line = 1
    def n = text.length()
    for (int i = 0; i < n; i++) {
        def c = text.charAt(i)
        if (quoted) {
            if (c == '"' as char) {
                if (i + 1 < n && text.charAt(i + 1) == '"' as char) {
                    field.append(c)
                    i++
                } else {
                    quoted = false
                }
            } else {
                if (c == '\n' as char || (c == '\r' as char && !(i + 1 < n && text.charAt(i + 1) == '\n' as char))) {
                    line++
                }
                field.append(c)
            }
        } else if (c == '"' as char && at_start) {
            quoted = true
            at_start = false
        } else if (c.toString() == separator) {
            fields << field.toString()
            field.setLength(0)
            at_start = true
        } else if (c == '\n' as char || c == '\r' as char) {
            if (c == '\r' as char && i + 1 < n && text.charAt(i + 1) == '\n' as char) {
                i++
            }
            fields << field.toString()
            records << [record_line, fields]
            fields = []
            field.setLength(0)
            at_start = true
            line++
            record_line = line
        } else {
            field.append(c)
            at_start = false
        }
    }
    if (field.length() > 0 || fields) {
        fields << field.toString()
        records << [record_line, fields]
    }
    records = records
        .findAll { number, values -> values.size() > 1 || values[0].trim() }
        .collect { number, values -> [number, values*.trim()] }
    if (!records) {
        return [[], []]
    }
    def header = records[0][1]
    def rows = records.drop(1)
    if (rows && rows[0][1].size() == header.size() + 1 && rows[0][1][-1]) {
        rows = rows.collect { number, values -> [number, values.drop(1)] }
    }
    return [header, rows]
}

// The FCS files named in the sample sheet's `fcs` column (src/omics/stages/_flow.py
// FCS_COLUMN), which `omics run` gates without --flow_fcs: names relative to the sheet's
// folder (sub/P1.fcs, ../fcs/P1.fcs) or absolute; missing-value spellings (NA, empty, ...)
// name no file. [:] when the sheet names none. As for `omics run`, every sample then needs
// a file, and every file must exist: else the run stops before any task starts, naming the
// sheet, the row's sample and the path.
//
// Returned: [root: 'input/fcs_column', folder:, names:, files:]. The files are staged by OMICS_VALIDATE and
// OMICS_FLOW_PREP each in a folder of its own (two may share a name: sub1/a.fcs,
// sub2/a.fcs), and linked by pipelines/bin/omics_fcs_links.sh at input/fcs_column/<folder>/<name>,
// the folder given to `omics` as --flow_fcs: omics resolves the sheet's relative names
// against it as `omics run` does against the sheet's folder, so the sheet itself, and the
// validated copy of it, stay as written. <folder> is the sheet folder's last k folder names
// when names climb k levels above it (../fcs/P1.fcs: k = 1), so that ../<folder>/P1.fcs and
// P1.fcs are still one file.
def fcsColumn(sheet_path) {
    def MISSING = ['', 'na', 'nan', 'n/a', '#n/a', 'null']   // omics.io._tables.MISSING_VALUES
    def sheet = file(userPath(sheet_path), checkIfExists: true)
    def (header, rows) = readSampleSheet(sheet)
    def column = header.indexOf('fcs')
    if (column < 0) {
        return [:]
    }
    def id_column = header.indexOf((params.sample_id_col ?: 'sample').toString())
    def value = { values, index -> index >= 0 && index < values.size() ? values[index] : '' }
    rows = rows.findAll { number, values -> values.any { it } }   // omics drops empty rows (,,,)
    if (rows.every { number, values -> value(values, column).toLowerCase() in MISSING }) {
        return [:]
    }
    def folder = sheet.parent
    def names = []
    def files = []
    rows.each { number, values ->
        def name = value(values, column)
        def sample = value(values, id_column)
        if (name.toLowerCase() in MISSING) {
            error("Sample sheet ${sheet}: sample '${sample}' (line ${number}) has no FCS file (no 'fcs' " +
                  "value) while other samples have one; name its file in the 'fcs' column, or drop the sample.")
        }
        def path = name.startsWith('/') ? file(name, glob: false) : folder.resolve(name)
        if (!path.exists()) {
            error("Sample sheet ${sheet}: sample '${sample}' (line ${number}) names the FCS file '${name}' " +
                  "(column 'fcs'), which does not exist at ${path}. Give each FCS file's path relative " +
                  "to the sample sheet's folder, or an absolute one.")
        }
        if (!path.isFile()) {
            error("Sample sheet ${sheet}: sample '${sample}' (line ${number}) names '${name}' in column " +
                  "'fcs', which is not a file (${path}).")
        }
        names << name
        files << path
    }
    // how many levels the relative names climb above the sheet's folder
    def climb = names.findAll { !it.startsWith('/') }.collect { name ->
        def depth = 0
        def lowest = 0
        name.tokenize('/').each { part ->
            depth += part == '..' ? -1 : part == '.' ? 0 : 1
            lowest = Math.min(lowest, depth)
        }
        -lowest
    }.max() ?: 0
    def parts = folder.toString().tokenize('/')
    def padding = climb ? (1..climb).collect { level -> level <= parts.size() ? parts[-level] : '_' }.reverse() : []
    return [root: 'input/fcs_column', folder: padding.join('/'), names: names, files: files]
}

// The --flow_fcs files omics reads (src/omics/stages/_flow.py, fcs_files), as fcsColumn returns
// a sheet's files: [root: 'input/fcs', folder: '', names:, files:], sorted by name. Those are
// the folder's own files with an FCS suffix (.fcs or .lmd, in any case; not hidden ones such
// as macOS's ._P1.fcs or .DS_Store, unless named after a sample id: .P1.fcs of sample '.P1')
// and, when the sample sheet has an `fcs` column, the relative names in it, which omics looks
// up in the folder (sub/P1.fcs; a name climbing out of the folder or an absolute one is read
// where it is). Nothing else of the folder is staged:
// other files, subfolders and links to folders are never walked. Each file is staged on its
// own and linked at input/fcs/<name> (pipelines/bin/omics_fcs_links.sh), the folder given to
// `omics` as --flow_fcs. Staged as one folder, Nextflow would hash the folder by its path,
// size and date only, even with cache 'deep': -resume would keep flow results computed from
// an FCS file replaced since. Staged one by one, each file counts (by content in
// OMICS_FLOW_PREP, by size and date in OMICS_VALIDATE).
def fcsFolder(folder_path) {
    def FCS_SUFFIXES = ['.fcs', '.lmd']   // omics.io._flow.FCS_SUFFIXES
    def MISSING = ['', 'na', 'nan', 'n/a', '#n/a', 'null']   // omics.io._tables.MISSING_VALUES
    def folder = file(userPath(folder_path), checkIfExists: true)
    if (!folder.isDirectory()) {
        error("--flow_fcs ${folder_path}: not a folder; give the folder holding the FCS files.")
    }
    def sheet = params.input ? file(userPath(params.input)) : null
    def (header, rows) = sheet?.isFile() ? readSampleSheet(sheet) : [[], []]
    def column = header.indexOf('fcs')
    // a hidden file is staged when it is a sample's own (.P1.fcs of sample '.P1'), as omics
    // finds <sample>.fcs whatever the name; other hidden ones (._P1.fcs, .DS_Store) are not
    def id_column = header.indexOf((params.sample_id_col ?: 'sample').toString())
    def ids = rows.collect { number, values -> id_column >= 0 && id_column < values.size() ? values[id_column].trim() : '' }
        .findAll { it } as Set
    def found = [:]   // name relative to the folder -> file
    folder.eachFile { path ->
        def name = path.fileName.toString()
        def dot = name.lastIndexOf('.')
        if (dot > 0 && name.substring(dot).toLowerCase() in FCS_SUFFIXES && path.isFile() &&
                (!name.startsWith('.') || name.substring(0, dot) in ids)) {
            found[name] = path
        }
    }
    rows.each { number, values ->
        def name = column >= 0 && column < values.size() ? values[column].trim() : ''
        if (name.toLowerCase() in MISSING || name.startsWith('/')) {
            return
        }
        def depth = 0
        def inside = name.tokenize('/').every { part -> (depth += part == '..' ? -1 : part == '.' ? 0 : 1) >= 0 }
        def path = folder.resolve(name)   // as written, as omics reads it (byte for byte)
        path = path.isFile() ? path : null
        if (inside && path != null) {
            found[name] = path
        }
    }
    def names = found.keySet().sort()
    return [root: 'input/fcs', folder: '', names: names, files: names.collect { found[it] }]
}

// The run's parameters (every one of nextflow_schema.json that `omics` reads, as given) as
// JSON, for pipeline_info/params.yaml (written by OMICS_REPORT): the record `omics run`
// keeps, which `omics report` reads for the methods and the parameter table.
def paramsJson() {
    def NEXTFLOW_ONLY = ['publish_dir_mode', 'container_image']   // read by Nextflow only
    def schema_path = [file("${projectDir}/../nextflow_schema.json"), file("${projectDir}/nextflow_schema.json")]
        .find { it.exists() }
    def schema = new JsonSlurper().parse(schema_path.toFile())
    def names = schema['$defs'].values().collectMany { group -> (group.properties ?: [:]).keySet() as List }
    return JsonOutput.toJson(names.findAll { !(it in NEXTFLOW_ONLY) }.collectEntries { [(it): params[it]] })
}

// The files of a channel of [meta, file] as one list, wrapped so that `combine` keeps it a
// single element. The order is fixed (RNA before protein, as `omics run` passes them, then
// by file name) so that the task hash, and -resume, do not depend on the order upstream
// tasks finished in, and multi-modality tables have their columns in the runner's order.
def sortedFiles(ch) {
    def rank = { meta -> ['rna', 'protein'].indexOf(meta.modality).with { it < 0 ? 2 : it } }
    return ch
        .toSortedList { a, b -> (rank(a[0]) <=> rank(b[0])) ?: (a[1].name <=> b[1].name) }
        .map { items -> [items.collect { meta, file -> file }] }
}

// nf-core style: the versions.yml of every process collated into one YAML document.
def processVersionsFromYAML(yaml_file) {
    def versions = new Yaml().load(yaml_file.text).collectEntries { process, tools -> [process.tokenize(':')[-1], tools] }
    return new Yaml().dumpAsMap(versions).trim()
}

// The Workflow block comes with the first process's versions: a run stopped before any
// process finished (a bad input in OMICS_VALIDATE) publishes no software_versions.yml.
def softwareVersionsToYAML(ch_versions) {
    def workflow_versions = new Yaml().dumpAsMap([
        Workflow: [(workflow.manifest.name): workflow.manifest.version, Nextflow: workflow.nextflow.version.toString()]
    ]).trim()
    def process_versions = ch_versions
        .unique()
        .map { yaml_file -> processVersionsFromYAML(yaml_file) }
        .unique()
    return process_versions.mix(process_versions.take(1).map { workflow_versions })
}

/*
 * The omics code the tasks run
 */

// Digest of the package's source and shipped metadata (gene sets, gating template) in this
// checkout, put in every task's meta so that -resume recomputes after the code changed, as
// `omics run` does (src/omics/runner.py code_identity, which also counts library versions:
// Nextflow sees those only through the conda/container strings). Empty outside a checkout.
def codeIdentity() {
    def digest = java.security.MessageDigest.getInstance('SHA-256')
    def roots = [file("${projectDir}/../src/omics"), file("${projectDir}/../metadata")].findAll { it.isDirectory() }
    if (!roots) {
        return ''
    }
    roots.each { root ->
        def files = []
        root.eachFileRecurse(groovy.io.FileType.FILES) { path ->
            def name = path.fileName.toString()
            if (!path.toString().contains('__pycache__') && !['.pyc', '.nbi', '.nbc'].any { name.endsWith(it) }) {
                files << path
            }
        }
        files.sort { root.relativize(it).toString() }.each { path ->
            digest.update(root.relativize(path).toString().getBytes('UTF-8'))
            digest.update((byte) 0)
            digest.update(path.bytes)
        }
    }
    return digest.digest().encodeHex().toString().take(16)
}

// SHA-256 of the small inputs that define the analysis (sample sheet, contrasts, gene sets,
// qPCR efficiencies, flow table, gating strategy), an input of OMICS_VALIDATE: Nextflow knows
// an input file by its path, size and date, so a corrected copy brought in with the old date
// (cp -p, rsync -a, tar x) would leave the check and every result cached; `omics run` keys
// its tasks by content. The matrices and FCS files are not read here (their size changes
// with any real edit, and reading gigabytes on every -resume would cost more).
def designDigest(files) {
    def digest = java.security.MessageDigest.getInstance('SHA-256')
    files.flatten().findAll { it }.each { path ->
        digest.update(path.toString().getBytes('UTF-8'))
        digest.update((byte) 0)
        digest.update(path.bytes)
    }
    return digest.digest().encodeHex().toString()
}

/*
 * Workflow
 */

workflow ANGIOGENESIS {

    main:
    // main.nf expandHomeInParams replaced a leading ~ by the home folder before this script was
    // included; should it not have (another Nextflow, another main script), stop rather than
    // publish into a folder named ~
    if (params.outdir instanceof CharSequence && (params.outdir.toString() == '~' || params.outdir.toString().startsWith('~/'))) {
        error("--outdir ${params.outdir}: the leading ~ was not expanded; write the absolute path (${userPath(params.outdir)}).")
    }
    ch_versions = Channel.empty()
    def code = codeIdentity()        // in every meta: a task run by other omics code is not reused
    def cohort = [id: 'cohort', code: code]  // meta of the cohort-level tasks (validate, score, integrate, report)

    ch_genesets   = Channel.value(geneSetFiles(params.genesets))
    ch_background = Channel.value(geneSetFiles(params.background_genesets))
    // RNA: sequencing counts (rna_counts) or rna_matrix in rna_format (qpcr, array, counts)
    def rna_file  = userPath(params.rna_matrix ?: params.rna_counts)
    ch_efficiency = Channel.value(params.qpcr_efficiency ? file(userPath(params.qpcr_efficiency), checkIfExists: true) : [])

    // Flow cytometry: a population table ([] when not given) and the gating strategy ([]: the
    // shipped template); without a table, the FCS files of --flow_fcs or those named
    // in the sample sheet's `fcs` column, as `omics run` takes them: [folder, names] ([:]
    // without) and the files ([]), staged by the flow tasks (see fcsColumn)
    // --flow_fcs: the folder's files one by one (see fcsFolder), so that -resume sees a
    // replaced or edited FCS file; laid out again at input/fcs, the folder omics reads.
    def fcs_column = !params.input ? [:] : params.flow_fcs ? fcsFolder(params.flow_fcs) :
        params.flow_table ? [:] : fcsColumn(params.input)
    def flow_files = [
        params.flow_table ? file(userPath(params.flow_table), checkIfExists: true) : [],
        params.flow_gating ? file(userPath(params.flow_gating), checkIfExists: true) : [],
        fcs_column ? [root: fcs_column.root, folder: fcs_column.folder, names: fcs_column.names] : [:],
        fcs_column ? fcs_column.files : []
    ]
    def with_flow = params.flow_table || params.flow_fcs || fcs_column

    //
    // Validate every input (flow cytometry included) before anything is computed
    //
    OMICS_VALIDATE (
        Channel.of([
            cohort,
            file(userPath(params.input), checkIfExists: true),
            file(userPath(params.contrasts), checkIfExists: true),
            rna_file ? file(rna_file, checkIfExists: true) : [],
            params.protein_matrix ? file(userPath(params.protein_matrix), checkIfExists: true) : []
        ]),
        ch_genesets,
        ch_background,
        ch_efficiency,
        Channel.value(flow_files),
        Channel.value(designDigest([file(userPath(params.input)), file(userPath(params.contrasts)),
                                    geneSetFiles(params.genesets), geneSetFiles(params.background_genesets),
                                    params.qpcr_efficiency ? file(userPath(params.qpcr_efficiency)) : [],
                                    flow_files[0], flow_files[1]]))
    )
    ch_versions = ch_versions.mix(OMICS_VALIDATE.out.versions)

    ch_validated = OMICS_VALIDATE.out.samplesheet
        .join(OMICS_VALIDATE.out.contrasts)      // [meta, samplesheet, contrasts]
    ch_contrasts_file = OMICS_VALIDATE.out.contrasts.map { meta, contrasts -> contrasts }

    //
    // One AnnData per modality: [meta(id, modality), h5ad]
    //
    ch_h5ad = Channel.empty()
    ch_rna_qpcr = Channel.empty()   // qPCR: rna/qpcr_*.tsv (replicates, geNorm), for the report's methods
    if (rna_file) {
        OMICS_RNA_PREP (
            ch_validated.map { meta, samplesheet, contrasts ->
                [[id: 'rna', modality: 'rna', code: code], samplesheet, contrasts, file(rna_file)]
            },
            ch_efficiency
        )
        ch_h5ad     = ch_h5ad.mix(OMICS_RNA_PREP.out.h5ad)
        ch_rna_qpcr = OMICS_RNA_PREP.out.qpcr.transpose()   // [meta, tsv] per file
        ch_versions = ch_versions.mix(OMICS_RNA_PREP.out.versions)
    }
    if (params.protein_matrix) {
        OMICS_PROTEIN_PREP (
            ch_validated.map { meta, samplesheet, contrasts ->
                [[id: 'protein', modality: 'protein', code: code], samplesheet, contrasts, file(userPath(params.protein_matrix))]
            }
        )
        ch_h5ad     = ch_h5ad.mix(OMICS_PROTEIN_PREP.out.h5ad)
        ch_versions = ch_versions.mix(OMICS_PROTEIN_PREP.out.versions)
    }

    // Flow cytometry: FCS files gated with FlowKit, or a population table
    ch_flow_h5ad  = Channel.empty()
    ch_flow_qc    = Channel.empty()
    ch_flow_plots = Channel.empty()
    if (with_flow) {
        OMICS_FLOW_PREP (
            ch_validated.map { meta, samplesheet, contrasts ->
                [[id: 'flow', modality: 'flow', code: code], samplesheet, *flow_files]
            }
        )
        ch_flow_h5ad  = OMICS_FLOW_PREP.out.h5ad
        ch_flow_qc    = OMICS_FLOW_PREP.out.qc
        ch_flow_plots = OMICS_FLOW_PREP.out.plots.transpose()   // [meta, png] per sample
        ch_versions  = ch_versions.mix(OMICS_FLOW_PREP.out.versions)
    }

    OMICS_QC ( ch_h5ad )
    ch_versions = ch_versions.mix(OMICS_QC.out.versions.first())

    //
    // Differential expression: one task per modality x contrast
    //
    ch_contrast_entries = ch_contrasts_file.flatMap { contrasts -> contrastEntries(contrasts) }
    ch_de_input = ch_h5ad
        .mix(ch_flow_h5ad)
        .combine(ch_contrast_entries)            // [meta, h5ad, contrast_id, contrast_yaml]
        .map { meta, h5ad, contrast_id, contrast_yaml ->
            def de_meta = [id: "${contrast_id}.${meta.modality}".toString(), contrast: contrast_id, modality: meta.modality, code: code]
            [de_meta, h5ad, contrast_yaml]
        }
    OMICS_DE ( ch_de_input )
    ch_versions = ch_versions.mix(OMICS_DE.out.versions.first())

    //
    // Enrichment of each differential table (same fan-out)
    //
    ch_de_genes = OMICS_DE.out.results.filter { meta, table -> meta.modality != 'flow' }
    OMICS_ENRICH ( ch_de_genes, ch_genesets, ch_background )
    ch_versions = ch_versions.mix(OMICS_ENRICH.out.versions.first())

    //
    // Per-patient scores and response models from all modalities
    //
    // toList emits [] when no prep task emitted (OMICS_VALIDATE failed): filtered out, so
    // that no score task is submitted while the run stops
    ch_h5ad_by_modality = ch_h5ad
        .mix(ch_flow_h5ad)
        .toList()
        .filter { items -> items }
        .map { items ->
            def by_modality = items.collectEntries { meta, h5ad -> [(meta.modality): h5ad] }
            [cohort, by_modality.rna ?: [], by_modality.protein ?: [], by_modality.flow ?: []]
        }
    OMICS_SCORE ( ch_h5ad_by_modality, ch_genesets )
    ch_versions = ch_versions.mix(OMICS_SCORE.out.versions)

    //
    // mRNA-protein integration when both modalities are there; with flow and only one of
    // them, the flow-score correlation alone (OMICS_INTEGRATE writes only that file)
    //
    ch_integration = Channel.empty()
    if ((rna_file && params.protein_matrix) || (with_flow && (rna_file || params.protein_matrix))) {
        OMICS_INTEGRATE (
            ch_h5ad_by_modality
                .combine(sortedFiles(ch_de_genes))
                .combine(sortedFiles(OMICS_ENRICH.out.gsea))
                .combine(OMICS_SCORE.out.scores.map { meta, scores -> scores })
                .map { meta, rna, protein, flow, de, gsea, scores ->
                    [meta, rna, protein, de, gsea, flow, flow ? scores : []]
                }
        )
        ch_integration = OMICS_INTEGRATE.out.correlation
            .mix(OMICS_INTEGRATE.out.concordance, OMICS_INTEGRATE.out.summary, OMICS_INTEGRATE.out.pathways,
                 OMICS_INTEGRATE.out.flow_correlation)
        ch_versions = ch_versions.mix(OMICS_INTEGRATE.out.versions)
    }

    //
    // HTML report from every result (as `omics run` gives it the whole results folder)
    //
    // started from OMICS_VALIDATE's output (not Channel.of), so that no report task is
    // submitted when validation failed: the sortedFiles below emit [] on empty channels
    ch_report_input = OMICS_VALIDATE.out.json.map { meta, json -> meta }
        .combine(sortedFiles(OMICS_VALIDATE.out.samplesheet.mix(OMICS_VALIDATE.out.contrasts, OMICS_VALIDATE.out.json)))
        .combine(sortedFiles(ch_h5ad.mix(ch_flow_h5ad, ch_rna_qpcr)))
        .combine(sortedFiles(OMICS_QC.out.pca.mix(OMICS_QC.out.pca_variance, OMICS_QC.out.correlation, OMICS_QC.out.outliers,
            ch_flow_qc)))
        .combine(sortedFiles(OMICS_DE.out.results))
        .combine(sortedFiles(OMICS_ENRICH.out.gsea.mix(OMICS_ENRICH.out.ora)))
        .combine(sortedFiles(OMICS_SCORE.out.scores.mix(OMICS_SCORE.out.response_model, OMICS_SCORE.out.roc, OMICS_SCORE.out.redundancy,
            OMICS_SCORE.out.survival, OMICS_SCORE.out.km_curves, OMICS_SCORE.out.km_logrank)))
        .combine(sortedFiles(ch_integration))
        .combine(sortedFiles(ch_flow_plots))
    OMICS_REPORT ( ch_report_input, ch_genesets, ch_background, paramsJson() )
    ch_versions = ch_versions.mix(OMICS_REPORT.out.versions)

    //
    // Software versions, as nf-core collates them
    //
    softwareVersionsToYAML(ch_versions)
        .collectFile(
            storeDir: "${params.outdir == null ? 'results' : userPath(params.outdir)}/pipeline_info",   // null: the default
            name: 'software_versions.yml',
            // written by every run, -resume included: the collect-file cache would keep a
            // copy another run left at this path (a failed run's shorter list)
            cache: false,
            sort: true,
            newLine: true
        )
        .set { ch_collated_versions }

    emit:
    report   = OMICS_REPORT.out.html
    versions = ch_collated_versions
}
