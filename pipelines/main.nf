#!/usr/bin/env nextflow
/*
 * bali-omics/angiogenesis
 *
 * Angiogenesis analysis of BM-MNC samples (RNA, protein, flow cytometry; BALI trial,
 * NCT00904501). Every process calls one `omics <stage>` of the Python package in this
 * repository; `omics run` runs the same DAG on one machine.
 *
 * Parameters: nextflow_schema.json (generated from src/omics/params.py by `omics schema`).
 * They are checked below against that schema without a plugin: nf-schema would have to be
 * downloaded at run time.
 */

import groovy.json.JsonSlurper
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.channels.OverlappingFileLockException
import java.nio.file.Files
import java.nio.file.StandardOpenOption

// before the include: an included script takes its own copy of params (see expandHomeInParams)
expandHomeInParams()

include { ANGIOGENESIS } from './workflows/angiogenesis'

/*
 * Parameter checks (a small subset of nf-schema's validateParameters)
 */

def schemaFile() {
    // projectDir is pipelines/ (manifest.mainScript); the schema sits at the repository root
    def candidates = [file("${projectDir}/../nextflow_schema.json"), file("${projectDir}/nextflow_schema.json")]
    return candidates.find { it.exists() }
}

def asNumber(value) {
    // A number given as text ('1e-2', '5000000000', '1_000'), as Nextflow leaves some
    // command-line values; anything else as it is. omics.params.resolve reads such text with
    // Python's int() and float(): '_' groups digits (one, between two digits) and blanks around
    // are ignored
    if (value instanceof Number || value == null || value instanceof Boolean) {
        return value
    }
    def text = value.toString().trim()
    if (text =~ /(?<!\p{Nd})_|_(?!\p{Nd})/) {
        return value
    }
    text = text.replace('_', '')
    try {
        def number = new BigDecimal(text)
        return number.stripTrailingZeros().scale() <= 0 && !text.contains('.') ?
            number.toBigIntegerExact() : number
    } catch (NumberFormatException | ArithmeticException ignored) {
        return value
    }
}

/*
 * --help (a small subset of nf-schema's paramsHelp): the parameters of nextflow_schema.json by
 * group; --help <name> shows one parameter in full
 */

def helpText(String topic) {
    def schema_path = schemaFile()
    if (!schema_path) {
        return 'nextflow_schema.json is missing: see docs/nextflow.md for the parameters.'
    }
    def schema = new JsonSlurper().parse(schema_path.toFile())
    def lines = []
    if (topic) {
        def found = schema['$defs'].values().find { group -> (group.properties ?: [:]).containsKey(topic) }
        if (!found) {
            def names = schema['$defs'].values().collectMany { group -> (group.properties ?: [:]).keySet() as List }
            def close = names.findAll { it.contains(topic) || topic.contains(it) }
            error("--help ${topic}: no such parameter" + (close ? " (did you mean ${close.collect { '--' + it }.join(', ')}?)" : '') +
                '; run with --help alone to list them all.')
        }
        def property = found.properties[topic]
        lines << "--${topic}"
        lines << "    group       : ${found.title}"
        lines << "    type        : ${property.type}" + (property.format ? " (${property.format})" : '')
        if (property.containsKey('default')) {
            lines << "    default     : ${property.default}"
        }
        if (property.enum) {
            lines << "    choices     : ${property.enum.join(', ')}"
        }
        ['minimum': '>=', 'exclusiveMinimum': '>', 'maximum': '<=', 'exclusiveMaximum': '<'].each { key, sign ->
            if (property[key] != null) {
                lines << "    range       : ${sign} ${property[key]}"
            }
        }
        if (property.pattern) {
            lines << "    pattern     : ${property.pattern}"
        }
        lines << "    description : ${property.description ?: ''}"
        if (property.help_text) {
            lines << "    help        : ${property.help_text}"
        }
        return lines.join('\n')
    }
    lines << "${workflow.manifest.name} ${workflow.manifest.version ?: ''}".trim()
    lines << (schema.description ?: '')
    lines << ''
    lines << 'Typical command (<pipeline>: this repository, or its pipelines/main.nf):'
    lines << '    nextflow run <pipeline> --input samplesheet.csv --contrasts contrasts.yaml \\'
    lines << '        --rna_counts salmon.merged.gene_counts.tsv --outdir results -resume'
    lines << '    nextflow run <pipeline> -profile test --outdir results   (the bundled test cohort)'
    lines << ''
    schema['$defs'].values().each { group ->
        def properties = (group.properties ?: [:]).findAll { name, property -> !property.hidden }
        if (!properties) {
            return
        }
        lines << "${group.title}:"
        def width = properties.keySet().collect { it.length() }.max() + 2
        properties.each { name, property ->
            def choices = property.enum ? " [choices: ${property.enum.join(', ')}]" : ''
            def fallback = property.containsKey('default') ? " [default: ${property.default}]" : ''
            lines << "  --${name.padRight(width)} ${property.type.padRight(8)} ${property.description ?: ''}${choices}${fallback}"
        }
        lines << ''
    }
    lines << '--help <parameter> shows one parameter in full; docs/nextflow.md has the profiles and the outputs.'
    return lines.join('\n')
}

def validateParameters() {
    // String parameters that are comma-separated lists, documented "empty for none"
    // (is_list in src/omics/params.py; tests/test_nextflow.py checks the two agree).
    def EMPTY_FOR_NONE = ['genesets', 'background_genesets', 'response_covariates', 'qpcr_reference_genes',
                          'qpcr_reference_candidates']
    def errors = []
    def defaulted = [:]
    def schema_path = schemaFile()
    if (schema_path) {
        def schema = new JsonSlurper().parse(schema_path.toFile())
        def properties = schema['$defs'].values().collectEntries { group -> group.properties ?: [:] }
        def ignored = ['help', 'validate_params', 'config_profile_name', 'config_profile_description']
        params.each { name, value ->
            if (name in ignored) {
                return
            }
            def property = properties[name]
            if (property == null) {
                // --de-fdr: Nextflow keeps the dashed name, which nothing reads
                def underscored = name.replace('-', '_')
                def hint = underscored != name && properties[underscored] != null ?
                    " Parameters are written with underscores: --${underscored} (this run uses ${underscored} = ${params[underscored]})." : ''
                log.warn "Unknown parameter --${name}: it is not in nextflow_schema.json and is ignored.${hint}"
                return
            }
            if (value == null) {
                // `name: null` in a -params-file: the default applies, as in `omics run` (the
                // config reads `params.x ?: default` where Nextflow itself uses a value, and
                // conf/modules.config leaves null parameters out, so each task takes its default)
                if (property.containsKey('default') && property.default != null) {
                    defaulted[name] = property.default
                }
                return
            }
            // Nextflow turns an empty command-line value (--response_covariates '') into true:
            // for a list documented "empty for none" that is the empty list, as for `omics run`
            // (conf/modules.config passes '' and pipeline_info/params.yaml records '').
            // false is no empty value: an unquoted YAML no/off/false, which omics run refuses too
            if (name in EMPTY_FOR_NONE && value instanceof Boolean) {
                if (!value) {
                    errors << "--${name} is false: YAML reads an unquoted no/off/false as false, not as text; " +
                        "quote it in the -params-file (${name}: 'no'), or give '' for none"
                }
                return
            }
            if (name in EMPTY_FOR_NONE && value instanceof List) {
                // a YAML list (conf/modules.config joins it with commas); an unquoted yes or
                // 1.10 in it is no longer the text given (omics.params.coerce stops alike)
                def odd = value.findAll { item -> item instanceof Boolean || item == null || item instanceof Collection ||
                    item instanceof Map || (item instanceof Number && !(item instanceof Integer || item instanceof Long || item instanceof BigInteger)) }
                if (odd) {
                    errors << "--${name} has item(s) ${odd.join(', ')} that YAML reads as no name (true/false, a number, " +
                        "null or a list): quote each item in the -params-file, e.g. ['yes', '1.10']"
                }
                return
            }
            if (property.type in ['integer', 'number']) {
                // As omics.params.resolve: none, null or '' unset a number whose default is unset
                // (--rna_min_samples none: automatic); conf/modules.config passes the word on,
                // which omics reads alike. An empty command-line value reaches us as true.
                def unset = !property.containsKey('default') || property.default == null
                if (unset && value instanceof CharSequence && value.toString().trim().toLowerCase() in ['', 'null', 'none']) {
                    return
                }
                if (value instanceof Boolean) {
                    errors << "--${name} needs a value (Nextflow reads an empty one as true): " +
                        (unset ? "to unset it, give --${name} none, or write ${name}: null in a -params-file" :
                                 "leave it out for its default (${property.default})")
                    return
                }
            }
            switch (property.type) {
                case 'integer':
                    // Every task is given the value as text (conf/modules.config), which omics reads
                    // as Python's int() does: digits with an optional sign, '_' between digits
                    // (1_000). So 1e3, and 1000.0 (a number to Nextflow, from the command line or a
                    // -params-file; `omics run` takes it from a params file only), stop here with
                    // the integer to write, rather than in the first task given it.
                    def text = value.toString().trim()
                    value = asNumber(value)
                    def whole = value instanceof Number && !(value instanceof Double && (value.isNaN() || value.isInfinite())) &&
                        !(value instanceof Float && (value.isNaN() || value.isInfinite())) &&
                        new BigDecimal(value.toString()).stripTrailingZeros().scale() <= 0
                    if (!whole) {
                        errors << "--${name} must be an integer, got '${text}'"
                        return
                    }
                    if (!(text ==~ /[+-]?\p{Nd}+(_\p{Nd}+)*/)) {
                        errors << "--${name} must be an integer written in digits, got '${text}': write ${new BigDecimal(value.toString()).toBigIntegerExact()}"
                        return
                    }
                    break
                case 'number':
                    // Nextflow keeps --de_fdr 1e-2 as the text '1e-2'; `omics run` reads it as 0.01,
                    // with Python's float(): a double, so checked here as one (1e-400 is 0, 1e400 no
                    // finite number)
                    def given = value
                    value = asNumber(value)
                    if (!(value instanceof Number)) {
                        errors << "--${name} must be a number, got '${value}'"
                        return
                    }
                    value = value.doubleValue()
                    if (value.isNaN() || value.isInfinite()) {
                        errors << "--${name} must be a finite number, got '${given}'"
                        return
                    }
                    break
                case 'boolean':
                    // As omics.params.coerce: true/false, yes/no, 1/0 (any case; the words as
                    // text, 1/0 as text or integers); each task reads the value as omics does
                    def word = value.toString().trim().toLowerCase()
                    def integral = value instanceof Integer || value instanceof Long || value instanceof BigInteger
                    def accepted = value instanceof Boolean || (integral && (value == 0 || value == 1)) ||
                        (value instanceof CharSequence && word in ['true', 'false', 'yes', 'no', '1', '0'])
                    if (!accepted) {
                        errors << "--${name} must be true or false (or yes/no, 1/0), got '${value}'"
                        return
                    }
                    break
                default:
                    if (value instanceof Boolean) {
                        errors << "--${name} is ${value}: Nextflow reads an empty command-line value, and YAML an " +
                            "unquoted yes/no/on/off/true/false, as true or false. Give the text (quote it in a " +
                            "-params-file: ${name}: 'yes'; an empty value: ${name}: '')"
                        return
                    }
                    if (value instanceof Number && !(value instanceof Integer || value instanceof Long || value instanceof BigInteger)) {
                        // sample_id_col: 1.10 is the number 1.1 to YAML (omics.params.coerce stops alike)
                        errors << "--${name} is the number ${value}, not text: quote it in a -params-file (${name}: '${value}')"
                        return
                    }
                    if (property.format in ['file-path', 'directory-path'] && !value.toString().trim()) {
                        errors << "--${name} is empty: give a path, or leave it out" +
                            (property.default != null ? " for its default (${property.default})" : '')
                        return
                    }
            }
            if (property.enum && !(value.toString() in property.enum)) {
                errors << "--${name} is '${value}'; choose one of ${property.enum.join(', ')}"
            }
            if (property.minimum != null && value instanceof Number && value < property.minimum) {
                errors << "--${name} must be >= ${property.minimum}, got ${value}"
            }
            if (property.maximum != null && value instanceof Number && value > property.maximum) {
                errors << "--${name} must be <= ${property.maximum}, got ${value}"
            }
            if (property.exclusiveMinimum != null && value instanceof Number && value <= property.exclusiveMinimum) {
                errors << "--${name} must be > ${property.exclusiveMinimum}, got ${value}"
            }
            if (property.exclusiveMaximum != null && value instanceof Number && value >= property.exclusiveMaximum) {
                errors << "--${name} must be < ${property.exclusiveMaximum}, got ${value}"
            }
            if (property.pattern && !(value.toString() ==~ property.pattern)) {
                errors << "--${name} '${value}' does not match ${property.pattern}"
            }
            // An input file or folder (not --outdir, which the run creates) that is not there:
            // name the parameter, rather than Nextflow's "No such file" from the workflow script
            def local = !(value.toString() =~ /^[A-Za-z][A-Za-z0-9+.-]*:\/\//)   // s3://, https://: staged later
            if (property.format in ['file-path', 'directory-path'] && name != 'outdir' && value.toString().trim() && local
                    && !file(userPath(value)).exists()) {
                errors << "--${name} ${value}: no such ${property.format == 'file-path' ? 'file' : 'folder'}; check the path"
            }
        }
    }
    // Checks across parameters, as `omics run` makes them (src/omics/params.py)
    def min_size = asNumber(params.gsea_min_size)
    def max_size = asNumber(params.gsea_max_size)
    if (min_size instanceof Number && max_size instanceof Number && min_size > max_size) {
        errors << "--gsea_min_size (${min_size}) is larger than --gsea_max_size (${max_size}): no gene set could be tested"
    }
    if (!params.input) {
        errors << "--input is required: the sample sheet (CSV/TSV with a `sample` column)"
    }
    if (!params.contrasts) {
        errors << "--contrasts is required: the contrasts file (nf-core/differentialabundance YAML or CSV)"
    }
    if (!params.rna_counts && !params.rna_matrix && !params.protein_matrix) {
        errors << "give --rna_counts (or --rna_matrix), --protein_matrix or both"
    }
    if (params.rna_counts && params.rna_matrix) {
        errors << "give --rna_counts or --rna_matrix, not both"
    }
    // An `omics run` folder: Nextflow would publish over its files, and `omics run` would then
    // refuse the files it no longer recognises (src/omics/_manifests.py RUN_RECORD)
    def outdir = outdirName()
    if (outdir.trim() && file("${outdir}/pipeline_info/cache/run.record").exists()) {
        errors << ("--outdir ${outdir} is the results folder of an `omics run` (it has " +
                   "pipeline_info/cache/run.record): Nextflow would publish over that run's files; choose another --outdir")
    }
    if (workflow.containerEngine && !params.container_image) {
        def profile = workflow.profile && workflow.profile != 'standard' ? ", -profile ${workflow.profile}" : ''
        errors << ("--container_image is required when tasks run in a container (${workflow.containerEngine}${profile}): " +
                   "build the image from the repository's Dockerfile (docker build -t omics-angiogenesis:0.1.0 . ; " +
                   "see README 'Containers') or pull it from where you published it")
    }
    if (errors) {
        error("Invalid parameters:\n  - " + errors.join("\n  - ") + "\nSee nextflow_schema.json or docs/nextflow.md.")
    }
    if (defaulted) {
        log.info "null in the parameters, so the default applies: " + defaulted.collect { name, value -> "${name} ${value}" }.join(', ')
    }
}

// --outdir as the run uses it: null (`outdir: null` in a -params-file) is the default, as in
// nextflow.config and conf/modules.config; a leading ~ is the home folder (userPath)
def outdirName() {
    return params.outdir == null ? 'results' : userPath(params.outdir)
}

// A path parameter as omics reads it (src/omics/params.py expand_home): a leading ~ or ~/ is
// the home folder ($HOME), in a -params-file too, where no shell expands it; Nextflow's file()
// would take ~ as a folder of that name in the launch folder (as workflows/angiogenesis.nf userPath)
def userPath(value) {
    def text = value.toString()
    def home = System.getenv('HOME') ?: System.getProperty('user.home')
    return text == '~' || text.startsWith('~/') ? home + text.substring(1) : text
}

/*
 * ~ in path parameters: a leading ~ or ~/ is the home folder, for every path parameter (and each
 * gene-set file), as `omics run` reads them (src/omics/params.py expand_home). No shell expands
 * it in a -params-file, and Nextflow would take it as a folder named ~ in the launch folder
 * (created, with the run reports, even by a run stopped at the parameter check). The values are
 * replaced in params before anything reads them: the checks below, the workflow, the tasks'
 * ext.args and publishDir (conf/modules.config) and pipeline_info/params.yaml all see the
 * expanded path. (nextflow.config expands --outdir alike for the run reports, which Nextflow
 * opens before this script runs.)
 */

def expandHomeInParams() {
    def schema_path = schemaFile()
    if (!schema_path) {
        return
    }
    def schema = new JsonSlurper().parse(schema_path.toFile())
    def properties = schema['$defs'].values().collectEntries { group -> group.properties ?: [:] }
    def tilde = { value -> value instanceof CharSequence && (value.toString() == '~' || value.toString().startsWith('~/')) }
    def expanded = [:]
    properties.each { name, property ->
        def value = params[name]
        if (property.format in ['file-path', 'directory-path'] && tilde(value)) {
            expanded[name] = userPath(value)
        } else if (name in ['genesets', 'background_genesets'] && value instanceof CharSequence && value.toString().contains('~')) {
            expanded[name] = value.toString().tokenize(',')*.trim().findAll { it }.collect { userPath(it) }.join(',')
        } else if (name in ['genesets', 'background_genesets'] && value instanceof List && value.any { tilde(it?.toString()?.trim()) }) {
            expanded[name] = value.collect { tilde(it?.toString()?.trim()) ? userPath(it.toString().trim()) : it }
        }
    }
    expanded.each { name, value ->
        // params is read-only to a script (a value given on the command line wins); its
        // entries are not
        try {
            params.entrySet().find { it.key == name }?.setValue(value)
        } catch (Exception ignored) {
        }
        if (params[name] != value) {
            error("--${name} ${params[name]}: a leading ~ could not be expanded here; write the absolute path (${value}).")
        }
    }
}

/*
 * One Nextflow run at a time in an --outdir (as `omics run` takes <outdir>/.omics.lock):
 * Nextflow's own lock covers the launch folder only, so two runs launched from two folders
 * would publish into one outdir. The lock is a POSIX (fcntl) lock on
 * <outdir>/pipeline_info/.nextflow.lock, held until Nextflow exits (also when it is killed);
 * the file names its holder.
 */

def lockOutdir() {
    def outdir = outdirName()
    if (outdir =~ /^[A-Za-z][A-Za-z0-9+.-]*:\/\//) {
        return   // s3://, gs://: an object store has no file locks
    }
    def folder = file(outdir).resolve('pipeline_info')
    def path = folder.resolve('.nextflow.lock')
    def channel
    def lock = null
    try {
        Files.createDirectories(folder)
    } catch (IOException exception) {
        error("--outdir ${outdir}: cannot create ${folder} (${exception.class.simpleName}: ${exception.message}); " +
              "choose an --outdir you can write to (not a file, nor under one)")
    }
    try {
        channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)
        lock = channel.tryLock()
    } catch (OverlappingFileLockException ignored) {
        lock = null
    } catch (IOException exception) {
        // a file system without locks (some network mounts): run without, as before
        log.warn "--outdir ${outdir}: cannot lock ${path} (${exception.message}); a second Nextflow run into this folder would not be refused"
        channel?.close()
        return
    }
    if (lock == null) {
        def current = ''
        try {
            current = path.text.trim()
        } catch (IOException ignored) {
        }
        channel.close()
        error("--outdir ${outdir}: another Nextflow run is writing to this folder" + (current ? " (${current})" : '') +
              "; wait for it to finish or choose another --outdir")
    }
    def holder = "pid ${ProcessHandle.current().pid()}, host ${InetAddress.localHost.hostName}, " +
        "started ${new Date().format('yyyy-MM-dd HH:mm:ss')}, launched from ${workflow.launchDir}"
    channel.truncate(0)
    channel.write(ByteBuffer.wrap((holder + '\n').getBytes('UTF-8')), 0)
    System.properties.put('omics.outdir.lock', lock)   // referenced until Nextflow exits: never collected
}

/*
 * A cluster executor with the launch machine's resource limits (nextflow.config caps requests
 * to the machine Nextflow runs on, for the local executor): warn, since every task would be
 * capped to a login node or a small launch job.
 */

def warnHostResourceLimits() {
    def config = workflow.session.config
    def executor = config.navigate('process.executor') ?: 'local'
    def limits = config.navigate('process.resourceLimits')
    if (executor == 'local' || !(limits instanceof Map) || limits.cpus != Runtime.runtime.availableProcessors()) {
        return
    }
    def host_gb = Math.max(1L, (long) (java.lang.management.ManagementFactory.getOperatingSystemMXBean().getTotalMemorySize() / 1073741824L))
    if (limits.memory.toString().replace(' ', '') == "${host_gb}.GB" || limits.memory.toString().replace(' ', '') == "${host_gb}GB") {
        log.warn "process.executor is '${executor}', but process.resourceLimits are those of the machine running Nextflow " +
            "(${limits.cpus} CPUs, ${host_gb} GB): every task request is capped to them. Set process.resourceLimits for " +
            "your cluster in your -c config (docs/nextflow.md, 'Running on a cluster')."
    }
}

/*
 * Named workflow (nf-core style): lets this pipeline be included in another one.
 */

workflow BALI_OMICS_ANGIOGENESIS {
    main:
    ANGIOGENESIS ()

    emit:
    report   = ANGIOGENESIS.out.report
    versions = ANGIOGENESIS.out.versions
}

workflow {
    if (params.containsKey('help') && params.help) {
        // --help (true) lists every parameter; --help <name> (a name) shows one
        println helpText(params.help instanceof Boolean ? null : params.help.toString())  // stdout, even with -q
        exit 0
    }
    validateParameters()
    lockOutdir()
    warnHostResourceLimits()
    BALI_OMICS_ANGIOGENESIS ()
}
