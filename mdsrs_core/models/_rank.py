"""Check that a design matrix has full column rank, naming the aliased terms if not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError


def check_full_rank(design: pd.DataFrame, formula: str) -> None:
    """Raise :class:`ModelError` when a design column is a linear combination of earlier ones.

    R keeps such columns with ``NA`` coefficients ("not defined because of singularities");
    mdsrs refuses the fit instead and names the columns, scanning them left to right as R's
    pivoting QR does, so the same terms are reported as aliased.
    """
    x = design.to_numpy(dtype=float)
    if x.shape[1] == 0:
        return
    scale = np.sqrt(np.einsum("ij,ij->j", x, x))
    scale[scale == 0] = 1.0
    scaled = np.empty(x.shape, order="F")
    np.divide(x, scale, out=scaled)
    # the singular values of X are those of its QR factor R (p x p), which needs no
    # working copy of the n x p matrix beyond the one it is computed in
    sv = np.linalg.svd(householder_r(scaled), compute_uv=False)
    x = scaled
    if x.shape[0] >= x.shape[1] and sv[-1] > 1e-7 * sv[0]:
        # every set of columns is then as well conditioned (singular values of a column
        # subset interlace with the whole matrix's): the scan below would alias none
        return
    aliased: list[str] = []
    kept: list[int] = []
    for j in range(x.shape[1]):
        trial = kept + [j]
        sv = np.linalg.svd(x[:, trial], compute_uv=False)
        if sv[-1] <= 1e-7 * sv[0]:
            aliased.append(str(design.columns[j]))
        else:
            kept.append(j)
    if aliased:
        raise ModelError(
            f"The model {formula!r} cannot be fitted: the term(s) {', '.join(aliased)} are a "
            "linear combination of earlier terms (a constant column, a level never seen with "
            "another factor's level, or a duplicated variable). R would report them as NA "
            "('not defined because of singularities'); remove or recode them."
        )


def householder_r(matrix: np.ndarray) -> np.ndarray:
    """The upper-triangular R of the Householder QR of an n x p ``matrix`` (LAPACK's
    ``dgeqrf``, as R's ``qr(LAPACK = TRUE)``; ``lm`` uses LINPACK's ``dqrdc2``, whose R
    agrees to rounding for a full-rank X). A Fortran-ordered float64 ``matrix`` is
    factored in place, so a tall matrix costs no copy; anything else is copied once."""
    from scipy.linalg.lapack import dgeqrf  # LAPACK itself: ~4x faster than linalg.qr at n = 62

    work = np.asfortranarray(matrix, dtype=float)
    factored, _tau, _work, info = dgeqrf(work, overwrite_a=True)
    if info != 0:  # pragma: no cover - only for an invalid argument
        raise ValueError(f"LAPACK dgeqrf failed (info = {info})")
    k = min(factored.shape)
    return np.triu(factored[:k])


def column_rank(x: np.ndarray, centre: bool = False) -> int:
    """The rank of the n x p matrix ``x`` (of its columns less their means when
    ``centre``), as :func:`numpy.linalg.matrix_rank`: the number of singular values above
    ``S.max() * max(n, p) * eps``. The singular values are those of the QR factor R
    (equal to X's up to rounding), so the only n x p working array is the one factored in
    place; ``matrix_rank``'s SVD of the matrix itself holds three (10^6 rows, 2 columns:
    ~48 MB instead of 16)."""
    n, p = x.shape
    if n == 0 or p == 0:
        return 0
    work = np.empty((n, p), order="F")
    if centre:
        np.subtract(x, x.mean(axis=0), out=work)
    else:
        work[...] = x
    sv = np.linalg.svd(householder_r(work), compute_uv=False)
    return int((sv > sv.max() * max(n, p) * np.finfo(float).eps).sum())
