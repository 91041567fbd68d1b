"""mRNA-protein integration: MuData, correlation, concordance and joint pathway evidence."""

from __future__ import annotations

from collections.abc import Mapping

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from ..io._names import folded_name, name_difference
from ._keys import check_anndata, check_matrix_input, gene_symbols, layer_array
from ._ranking import statistic_columns
from ._spearman import average_ranks, spearman, spearman_p
from ._stats import bh, norm_isf, norm_sf

_LOG = get_logger("tl.integrate")


def build_mudata(rna: ad.AnnData | None, protein: ad.AnnData | None,
                 flow: ad.AnnData | None = None) -> md.MuData:
    """Combine the modalities into a MuData (``rna``, ``protein``, ``flow``) with shared ``obs``.

    Only samples present in every modality are kept; a modality losing samples is named
    in a logged warning (how many, a few ids, and ids that differ from another
    modality's only in letter case or Unicode normalisation).

    Parameters
    ----------
    rna
        Samples x genes (the ``rna`` modality); ``None`` leaves it out.
    protein
        Samples x proteins (the ``protein`` modality); ``None`` leaves it out.
    flow
        Samples x flow populations (the ``flow`` modality); ``None`` (default) leaves it out.

    Returns
    -------
    mudata.MuData
        One modality per AnnData given (copies restricted to the shared samples, in the
        order of the first one given). ``mdata.obs`` holds the modalities' ``obs`` columns
        prefixed ``rna:``, ``protein:``, ``flow:`` and, unprefixed, the ``obs`` columns of
        the first modality given (``rna``, else ``protein``, else ``flow``), with their
        dtypes (a categorical keeps its categories and their order). When a feature name
        is in two modalities (a gene symbol equal to a flow population), every modality's
        ``var_names`` are prefixed ``<modality>:`` (logged; :func:`_prefix_shared_var_names`).
    """
    modalities = {name: adata for name, adata in (("rna", rna), ("protein", protein), ("flow", flow))
                  if adata is not None}
    if not modalities:
        raise InputError("build_mudata: no modality given; pass the rna and/or protein (and flow) "
                         "AnnData")
    for name, adata in modalities.items():
        check_anndata(adata, "build_mudata", name)
    shared = None
    for adata in modalities.values():
        shared = adata.obs_names if shared is None else shared.intersection(adata.obs_names,
                                                                            sort=False)
    check_shared_samples(modalities, shared, "build_mudata")
    warn_unshared_samples(modalities, shared, "build_mudata")
    parts = {name: adata[shared].copy() for name, adata in modalities.items()}
    _prefix_shared_var_names(parts)
    # mudata 0.3 pulls the modalities' obs columns into mdata.obs (prefixed "rna:" ...) and
    # warns that 0.4 will stop; asking for it keeps the layout stable and the warning away.
    with md.set_options(pull_on_update=True):
        mdata = md.MuData(parts)
    first = next(iter(modalities.values()))
    for column in first.obs.columns:  # by position (mdata.obs is in the order of `shared`),
        values = first.obs.loc[shared, column]  # keeping the dtype (the categories' order) but
        if isinstance(values.dtype, pd.CategoricalDtype):  # not levels of no shared sample
            values = values.cat.remove_unused_categories()
        mdata.obs[column] = values.array
    return mdata


def _prefix_shared_var_names(parts: dict[str, ad.AnnData]) -> None:
    """Prefix every modality's ``var_names`` with ``<modality>:`` when two modalities share one.

    A MuData's ``var_names`` must be unique across its modalities; an array or qPCR gene
    symbol may equal a flow population (``CD34``), an Olink assay an array symbol. On such
    a clash, as :meth:`mudata.MuData.var_names_make_unique` does (without its warning),
    each modality's names become ``rna:CD34``, ``flow:CD34``, ...; the gene symbols stay in
    ``var["gene_name"]`` (filled from the old names for RNA and protein without it), the
    flow populations in ``var["population"]``. Without a clash nothing changes (modified
    in place).
    """
    seen: set[str] = set()
    shared: set[str] = set()
    for adata in parts.values():
        names = set(map(str, adata.var_names))
        shared |= seen & names
        seen |= names
    if not shared:
        return
    _LOG.warning("build_mudata: %d feature name(s) are in more than one modality (%s): each "
                 "modality's var_names are prefixed with its name in the MuData (%s)", len(shared),
                 ", ".join(sorted(shared)[:5]) + (" ..." if len(shared) > 5 else ""),
                 ", ".join(f"{name}:" for name in parts))
    for name, adata in parts.items():
        old = adata.var_names.astype(str)
        column = "population" if name == "flow" else "gene_name"
        if column not in adata.var:
            adata.var[column] = np.asarray(old)
        adata.var_names = pd.Index([f"{name}:{v}" for v in old])


def _examples(names: pd.Index, n: int = 3) -> str:
    """``'S1', 'S2', 'S3', ... (40 samples)``: a few sample ids of one modality.

    Text ids are quoted, others (e.g. integers) are not, so that ``1`` and ``'1'`` show
    the difference that keeps them apart.
    """
    shown = ", ".join(repr(str(name)) if isinstance(name, str) else str(name) for name in names[:n])
    more = ", ..." if len(names) > n else ""
    return f"{shown}{more} ({len(names)} samples)" if len(names) else "no samples"


def _sample_ids(data: ad.AnnData | pd.Index) -> pd.Index:
    """Return the sample ids of an AnnData (``obs_names``), or the ids given as they are."""
    return data.obs_names if hasattr(data, "obs_names") else pd.Index(data)


def check_shared_samples(modalities: dict[str, ad.AnnData | pd.Index], shared: pd.Index, caller: str,
                         *, what: str = "AnnData",
                         fix: str = "pass modalities of the same samples, with the same ids as "
                                    "obs_names") -> None:
    """Stop when the modalities have no sample id in common, naming a few ids of each.

    Parameters
    ----------
    modalities
        Modality name -> AnnData (samples as ``obs_names``) or the sample ids themselves.
    shared
        The sample ids they have in common.
    caller
        The function named in the message.
    what
        What the modalities are, for the message (``"AnnData"``).
    fix
        What to do, for the message.

    Raises
    ------
    omics._errors.InputError
        When ``shared`` is empty (an empty MuData or an all-NA correlation otherwise).
    """
    if len(modalities) > 1 and len(shared) == 0:
        ids = "; ".join(f"{name}: {_examples(_sample_ids(data))}" for name, data in modalities.items())
        raise InputError(f"{caller}: the {' and '.join(modalities)} {what} have no sample id in common "
                         f"({ids}); {fix}")


def warn_unshared_samples(modalities: dict[str, ad.AnnData | pd.Index], shared: pd.Index,
                          caller: str) -> None:
    """Log a warning per modality with samples that are not in every other modality.

    Names how many are left out, a few of them, and ids that equal another modality's id
    but for letter case or Unicode normalisation (ids are compared exactly).

    Parameters
    ----------
    modalities
        Modality name -> AnnData (samples as ``obs_names``) or the sample ids themselves.
    shared
        The sample ids they have in common (the ones kept).
    caller
        The function named in the message.
    """
    kept = set(shared)
    for name, adata in modalities.items():
        ids = _sample_ids(adata)
        left = [str(s) for s in ids if s not in kept]
        if not left:
            continue
        others = {folded_name(s): str(s) for other, data in modalities.items() if other != name
                  for s in _sample_ids(data) if s not in kept}
        pairs = [(s, others[folded_name(s)]) for s in left if folded_name(s) in others]
        hint = ""
        if pairs:
            kinds = sorted({name_difference(s, o) for s, o in pairs})
            shown = ", ".join(f"{s!r} / {o!r}" for s, o in pairs[:3])
            hint = (f"; {len(pairs)} of them differ from another modality's id only "
                    f"{' and '.join(kinds)} ({shown}{', ...' if len(pairs) > 3 else ''}): ids are "
                    "compared exactly, so write them alike")
        _LOG.warning("%s: %d of the %d %s samples are not in every modality and are left out (%s)%s",
                     caller, len(left), len(ids), name, _examples(pd.Index(left)), hint)


def _measured(adata: ad.AnnData, layer: str | None, caller: str) -> tuple[ad.AnnData, str | None]:
    """``(adata, layer)`` to read, with values that are not measurements as NaN.

    Imputed values (``layers["imputed_mask"]``, :func:`omics.pp.impute`) and qPCR
    sample/targets without a detected well (``layers["undetermined"]``,
    :func:`omics.pp.qpcr_average_replicates`: with the ``limit`` policy their value is the
    Ct limit against the reference genes) are not measurements. Without such a layer (or
    such a value) ``adata`` and ``layer`` are returned as given; otherwise a new AnnData
    whose ``X`` is ``layer`` (``None``: ``X``) with those cells set to NaN, and ``None``.
    """
    masks = []
    for name in ("imputed_mask", "undetermined"):
        if name in adata.layers:
            mask = adata.layers[name]
            mask = np.asarray(mask.toarray() if hasattr(mask, "toarray") else mask)
            if mask.shape == adata.shape:
                masks.append(np.nan_to_num(mask.astype(float)) != 0)
    mask = np.logical_or.reduce(masks) if masks else None
    if mask is None or not mask.any():
        return adata, layer
    values = np.asarray(layer_array(adata, layer, caller), dtype=float)
    return ad.AnnData(X=np.where(mask, np.nan, values), obs=adata.obs[[]], var=adata.var), None


def expression_by_gene(adata: ad.AnnData, layer: str | None) -> pd.DataFrame:
    """Return a samples x gene-symbol matrix; of duplicated symbols keep the most observed feature.

    Parameters
    ----------
    adata
        Samples x features; gene symbols in ``var["gene_name"]`` (else the feature names).
        Features without a symbol (``""`` or missing) are left out.
    layer
        Layer to read (``None`` = ``X``); a sparse layer is read as dense.

    Returns
    -------
    pandas.DataFrame
        Samples x gene symbols (columns sorted by symbol).
    """
    values = pd.DataFrame(np.asarray(layer_array(adata, layer, "expression_by_gene"), dtype=float),
                          index=adata.obs_names, columns=adata.var_names)
    names = gene_symbols(adata) if "gene_name" in adata.var else adata.var_names
    observed = values.notna().sum(axis=0)
    order = pd.DataFrame({"name": np.asarray(names), "observed": observed.to_numpy(),
                          "feature": values.columns}).query("name != ''")
    order = order.sort_values(["name", "observed"], ascending=[True, False], kind="stable")
    keep = order.drop_duplicates("name")
    out = values[keep["feature"].to_numpy()]
    out.columns = keep["name"].to_numpy()
    return out


def _spearman_columns(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spearman rho and two-sided p of each column of ``x`` with the same column of ``y``.

    The computation of :func:`scipy.stats.spearmanr` (average ranks, Pearson correlation
    of the ranks as :func:`numpy.corrcoef`, Student t with n - 2 degrees of freedom) for
    all columns at once. A column constant in ``x`` or ``y`` gets NA, as the per-gene
    loop did (scipy warns and returns NaN).
    """
    n = x.shape[0]
    rx = average_ranks(x)
    ry = average_ranks(y)
    rx -= rx.mean(axis=0)
    ry -= ry.mean(axis=0)
    scale = 1.0 / (n - 1)
    cov = np.einsum("ij,ij->j", rx, ry) * scale
    sx = np.sqrt(np.einsum("ij,ij->j", rx, rx) * scale)
    sy = np.sqrt(np.einsum("ij,ij->j", ry, ry) * scale)
    constant = (np.ptp(x, axis=0) == 0) | (np.ptp(y, axis=0) == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.clip(cov / sx / sy, -1.0, 1.0)
    p = spearman_p(rho, n)
    rho[constant] = np.nan
    p[constant] = np.nan
    return rho, p


def _spearman_partial(x: np.ndarray, y: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spearman rho and p of each column over its complete pairs (``ok``), as scipy per column.

    Bit for bit what ``scipy.stats.spearmanr(x[ok[:, j], j], y[ok[:, j], j])`` returns
    (average ranks, :func:`numpy.corrcoef` of the two rank columns, Student t with
    ``n - 2`` degrees of freedom) without its per-call overhead: all columns are ranked
    in one call (incomplete pairs left out), only the 2 x 2 correlation stays per column.
    A column constant over its pairs gets NA (scipy warns and returns NaN).
    """
    xm, ym = np.where(ok, x, np.nan), np.where(ok, y, np.nan)
    with np.errstate(invalid="ignore"):
        varies = (np.nanmax(xm, axis=0) > np.nanmin(xm, axis=0)) & \
            (np.nanmax(ym, axis=0) > np.nanmin(ym, axis=0))
    rx = average_ranks(xm)
    ry = average_ranks(ym)
    rho = np.full(x.shape[1], np.nan)
    for j in np.flatnonzero(varies):
        rows = ok[:, j]
        rho[j] = np.corrcoef(np.column_stack((rx[rows, j], ry[rows, j])), rowvar=False)[1, 0]
    p = spearman_p(rho, ok.sum(axis=0))
    return rho, np.where(np.isnan(rho), np.nan, p)


_by_gene = expression_by_gene


def mrna_protein_correlation(rna: ad.AnnData, protein: ad.AnnData, *, rna_layer: str = "vst",
                             protein_layer: str | None = None, min_pairs: int = 6) -> pd.DataFrame:
    """Per-gene Spearman correlation of mRNA (VST) and protein (log2) across patients.

    Pairs with a missing protein value are left out, and so are imputed values (cells
    marked in ``layers["imputed_mask"]`` of either AnnData, as :func:`omics.pp.impute`
    writes) and qPCR targets undetermined in a sample (``layers["undetermined"]``, as
    :func:`omics.pp.qpcr_average_replicates` writes: a Ct-limit substitute, not a
    measurement): only measured pairs are correlated, so ``n_pairs`` and rho do not depend
    on the imputation or the Ct limit. Genes with fewer than ``min_pairs`` complete pairs get NA. BH
    adjustment over the genes tested. Genes are matched by symbol
    (:func:`expression_by_gene`: features without one are left out). Samples not in both
    AnnData are left out with a logged warning.
    """
    caller = "mrna_protein_correlation"
    check_anndata(rna, caller, "rna")
    check_anndata(protein, caller, "protein")
    check_matrix_input(rna, rna_layer, caller, argument="rna_layer", what="the RNA AnnData")
    check_matrix_input(protein, protein_layer, caller, argument="protein_layer", what="the protein AnnData")
    samples = rna.obs_names.intersection(protein.obs_names, sort=False)
    check_shared_samples({"rna": rna, "protein": protein}, samples, caller)
    warn_unshared_samples({"rna": rna, "protein": protein}, samples, caller)
    mrna = _by_gene(*_measured(rna[samples], rna_layer, caller))
    prot = _by_gene(*_measured(protein[samples], protein_layer, caller))
    genes = sorted(set(mrna.columns) & set(prot.columns))
    x_all = mrna[genes].to_numpy(dtype=float)
    y_all = prot[genes].to_numpy(dtype=float)
    ok_all = np.isfinite(x_all) & np.isfinite(y_all)
    n_pairs = ok_all.sum(axis=0)
    rho_all = np.full(len(genes), np.nan)
    p_all = np.full(len(genes), np.nan)
    complete = ok_all.all(axis=0)
    if len(samples) >= min_pairs and complete.any():
        rho_all[complete], p_all[complete] = _spearman_columns(x_all[:, complete],
                                                               y_all[:, complete])
    partial = np.flatnonzero(~complete & (n_pairs >= min_pairs))
    if partial.size:
        rho_all[partial], p_all[partial] = _spearman_partial(x_all[:, partial], y_all[:, partial],
                                                             ok_all[:, partial])
    rows = list(zip(genes, n_pairs.astype(int).tolist(), rho_all.tolist(), p_all.tolist(),
                    strict=True))
    table = pd.DataFrame(rows, columns=["gene_name", "n_pairs", "spearman_rho", "pvalue"])
    table["fdr"] = bh(table["pvalue"].to_numpy(float))
    return table


def _gene_level(de_table: pd.DataFrame, modality: str) -> pd.DataFrame:
    caller = "fold_change_concordance"
    what = "RNA" if modality == "rna" else modality
    if not isinstance(de_table, pd.DataFrame):
        raise InputError(f"{caller}: the {what} differential results must be a table (a DataFrame), "
                         f"not a {type(de_table).__name__}; pass the DESeq2/limma results table, or "
                         "a MuData holding them")
    stat, padj, lfc = statistic_columns(de_table, modality)
    missing = [c for c in ("gene_name", lfc, stat, padj) if c not in de_table.columns]
    if missing:
        raise InputError(f"{caller}: the {what} differential table has no column "
                         f"{', '.join(map(repr, missing))} (it has "
                         f"{', '.join(map(str, de_table.columns[:12]))}"
                         f"{', ...' if len(de_table.columns) > 12 else ''}); pass a DESeq2/limma "
                         "results table with gene symbols in 'gene_name' (omics.tl.deseq2 / "
                         "omics.tl.limma write it)")
    # a gene without a statistic or a fold change is not compared (it has no sign to agree)
    table = de_table[["gene_name", lfc, stat, padj]].dropna(subset=[stat, lfc, "gene_name"])
    table = table[table["gene_name"].astype(str) != ""]  # no symbol ("" or NaN): not joined
    table = table.assign(_abs=table[stat].abs()).sort_values(["gene_name", "_abs"],
                                                             ascending=[True, False], kind="stable")
    table = table.drop_duplicates("gene_name").drop(columns="_abs")
    return table.rename(columns={lfc: f"{modality}_log2fc", stat: f"{modality}_stat",
                                 padj: f"{modality}_padj"})


def fold_change_concordance(rna_de: pd.DataFrame, protein_de: pd.DataFrame, *, fdr: float = 0.05
                            ) -> tuple[pd.DataFrame, dict]:
    """Join mRNA and protein results of one contrast by gene symbol.

    Returns the per-gene table (``concordant`` = same sign of fold change) and a summary:
    genes matched, Spearman correlation of the fold changes, sign agreement overall and
    among genes significant in both. Rows without a statistic or a fold change (NA) are
    left out before the join.
    """
    joined = _gene_level(rna_de, "rna").merge(_gene_level(protein_de, "protein"), on="gene_name")
    joined["concordant"] = np.sign(joined["rna_log2fc"]) == np.sign(joined["protein_log2fc"])
    both = (joined["rna_padj"] < fdr) & (joined["protein_padj"] < fdr)
    rho = (spearman(joined["rna_log2fc"], joined["protein_log2fc"])[0]
           if len(joined) > 2 else np.nan)
    summary = {"n_genes": int(len(joined)), "spearman_log2fc": float(rho),
               "sign_agreement": float(joined["concordant"].mean()) if len(joined) else np.nan,
               "n_significant_both": int(both.sum()),
               "sign_agreement_significant": float(joined.loc[both, "concordant"].mean())
               if both.any() else np.nan}
    return joined.sort_values("gene_name", kind="stable").reset_index(drop=True), summary


def _floored(p: pd.Series, modality: str, permutations: int | None) -> pd.Series:
    """Permutation p-values in ``(0, 1]``: a 0 is floored at ``1 / (permutations + 1)`` or stops."""
    if (p <= 0).any():
        if permutations is None:
            raise InputError(f"{modality} GSEA table has permutation p-values of 0; they must be "
                             "(k + 1) / (B + 1): rerun `omics enrich` or pass the number of "
                             "permutations.")
        p = p.clip(lower=1.0 / (permutations + 1))
    return p.clip(upper=1.0)


def _bounded(p: pd.Series, terms: pd.Series, modality: str, permutations: int | None) -> pd.Series:
    """One-sided permutation p-values with 1 (and above) set to ``B / (B + 1)``, or stop.

    ``(k + 1) / (B + 1)`` reaches 1 when no permutation ES falls below the observed one;
    ``Phi^-1`` of 1 would be an infinite z. The ceiling ``B / (B + 1)`` mirrors the floor
    ``1 / (B + 1)`` (:func:`_floored`, for p = 0), so ``|z|`` stays within
    ``Phi^-1(1 - 1 / (B + 1))`` on both sides. Without ``permutations`` a p of 0 or 1
    stops (its bound is unknown). p strictly inside ``(0, 1)`` is taken as given.
    """
    if permutations is None:
        edge = (p <= 0) | (p >= 1)
        if edge.any():
            first = int(np.flatnonzero(edge.to_numpy())[0])
            raise InputError(f"pathway_evidence: the {modality} GSEA table has one-sided permutation "
                             f"p-values of 0 or 1 ({int(edge.sum())} of {len(p)} sets, e.g. term "
                             f"{terms.iloc[first]!r}: pvalue_one_sided {p.iloc[first]:g}), which give "
                             "an infinite z; pass permutations (the number of permutations of the "
                             "GSEA run) to bound them at 1 / (B + 1) and B / (B + 1)")
        return p
    return p.mask(p >= 1, permutations / (permutations + 1))


def pathway_evidence(gsea_by_modality: dict[str, pd.DataFrame], *,
                     permutations: int | None = None) -> pd.DataFrame:
    """Combine per-modality GSEA results of one contrast by Stouffer's method.

    Each modality's one-sided permutation p-value in the direction of its ES, over all
    permutations (``pvalue_one_sided`` of :func:`omics.tl.gsea_prerank`), becomes a
    signed z: ``z = sign(nes) * Phi^-1(1 - p)``, so that a set up in one modality and
    down in the other cancels. GSEA's nominal p-value is taken within the sign of the
    ES; when a set's null ES are mostly of one sign (0.88 positive for some demo
    rankings) its sign is not balanced under the null, and ``sign * Phi^-1(1 - p / 2)``
    made one direction two to three times as likely as the other by chance. The joint
    ``z = sum(z) / sqrt(k)`` is taken over the ``k`` modalities that **tested** the set
    (a set absent from a modality, or with a missing p-value or NES there, is not
    counted as evidence against it), with a two-sided p-value and BH FDR over all sets
    of the contrast. Equal weights: each modality is one line of evidence whatever its
    feature count. The modalities are treated as independent; mRNA and protein of the
    same patients are not quite (their z correlate by about 0.15 over random sets of
    the demo), so the joint p-values are somewhat liberal.

    A table without ``pvalue_one_sided`` (an older run or another tool) is converted
    from its nominal p-value as before, ``sign(nes) * Phi^-1(1 - p / 2)``, with a
    warning. Permutation p-values are never below ``1 / (B + 1)`` (Phipson & Smyth
    2010); a table with p = 0 (a tool reporting ``k / B``) is floored at
    ``1 / (permutations + 1)`` when ``permutations`` is given and rejected otherwise,
    rather than being clipped at a tiny number that would invent joint evidence. The
    one-sided p-value reaches 1 when no permutation falls on the far side, which would
    be an infinite z against the set: with ``permutations`` it is set to ``B / (B + 1)``,
    the mirror of the floor (a bounded z, symmetric about 0); without it a one-sided
    p-value of 0 or 1 is rejected. A term repeated within a table is rejected.

    Returns
    -------
    pandas.DataFrame
        ``term``; per modality ``<m>_nes``, ``<m>_pvalue``, ``<m>_fdr``, ``<m>_z``;
        ``n_modalities``, ``stouffer_z``, ``stouffer_pvalue``, ``stouffer_fdr``,
        ``direction`` (``up``/``down``; empty when untested); sorted by
        ``(stouffer_pvalue, term)``.
    """
    caller = "pathway_evidence"
    if not isinstance(gsea_by_modality, Mapping):
        raise InputError(f"{caller}: expects a MuData or a mapping of modality name to GSEA table "
                         f"(e.g. {{'rna': rna_gsea, 'protein': protein_gsea}}), not a "
                         f"{type(gsea_by_modality).__name__}; pass the tables as such a dict")
    if not gsea_by_modality:
        raise InputError(f"{caller}: no GSEA table given (an empty mapping); pass "
                         "{'rna': rna_gsea, 'protein': protein_gsea} (omics.tl.gsea_prerank results)")
    frames = []
    for modality, gsea in gsea_by_modality.items():
        if not isinstance(gsea, pd.DataFrame):
            raise InputError(f"{caller}: the {modality!r} GSEA results are a {type(gsea).__name__}, "
                             "not a table; pass the DataFrame omics.tl.gsea_prerank returns")
        missing = [c for c in ("term", "nes", "pvalue", "fdr") if c not in gsea.columns]
        if missing:
            raise InputError(f"{caller}: the {modality!r} GSEA table has no column "
                             f"{', '.join(map(repr, missing))} (it has "
                             f"{', '.join(map(str, gsea.columns[:12]))}); pass a GSEA prerank table "
                             "(omics.tl.gsea_prerank: term, nes, pvalue, fdr)")
        repeated = gsea["term"][gsea["term"].duplicated()]
        if len(repeated):
            raise InputError(f"{caller}: the {modality!r} GSEA table has term {repeated.iloc[0]!r} "
                             f"more than once ({repeated.nunique()} terms repeated); pass one row "
                             "per gene set (omics.tl.gsea_prerank writes one)")
        part = gsea[["term", "nes", "pvalue", "fdr"]].copy()
        part["pvalue"] = _floored(part["pvalue"].astype(float), modality, permutations)
        if "pvalue_one_sided" in gsea:
            one_sided = _bounded(_floored(gsea["pvalue_one_sided"].astype(float), modality, permutations),
                                 gsea["term"], modality, permutations)
            part["z"] = np.sign(part["nes"]) * norm_isf(one_sided)
        else:
            _LOG.warning("pathway_evidence: the %s GSEA table has no pvalue_one_sided (an older run "
                         "or another tool): its z come from the nominal p-values, whose direction "
                         "is not balanced under the null; rerun omics enrich", modality)
            part["z"] = np.sign(part["nes"]) * norm_isf(part["pvalue"] / 2)
        # NES 0: no direction, z 0 -- if the set was tested (a missing p-value is not counted)
        part.loc[(part["nes"] == 0) & part["z"].notna(), "z"] = 0.0
        part = part.rename(columns={c: f"{modality}_{c}" for c in ("nes", "pvalue", "fdr", "z")})
        frames.append(part.set_index("term"))
    table = pd.concat(frames, axis=1, join="outer")
    z_columns = [c for c in table.columns if c.endswith("_z")]
    k = table[z_columns].notna().sum(axis=1)
    table["n_modalities"] = k
    table["stouffer_z"] = table[z_columns].sum(axis=1, min_count=1) / np.sqrt(k.replace(0, np.nan))
    table["stouffer_pvalue"] = 2 * norm_sf(table["stouffer_z"].abs())
    table["stouffer_fdr"] = bh(table["stouffer_pvalue"].to_numpy(float))
    table["direction"] = np.where(table["stouffer_z"] > 0, "up",
                                  np.where(table["stouffer_z"] < 0, "down", ""))
    return table.reset_index().sort_values(["stouffer_pvalue", "term"], kind="stable",
                                           na_position="last").reset_index(drop=True)
