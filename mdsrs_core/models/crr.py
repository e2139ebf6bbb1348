"""Fine-Gray proportional subdistribution hazards regression, mirroring R's ``cmprsk::crr``.

The model of Fine & Gray (1999) for the cumulative incidence of one cause (``failcode``)
in the presence of competing causes: ``-log(1 - F_1(t | x)) = Lambda_0(t) exp(x'beta)``.
``beta`` maximises the partial likelihood in which a patient who failed of a competing
cause stays in the risk set with the inverse-probability-of-censoring weight
``G(t-) / G(t_i-)`` (``G`` the Kaplan-Meier estimate of the censoring distribution,
evaluated just before each time as crr does), found with crr's own Newton-Raphson and
step-halving line search (``gtol = 1e-6``, ``maxiter = 10``). The variance is crr's
default robust sandwich ``I^-1 (sum_i (eta_i + psi_i)(eta_i + psi_i)') I^-1`` (Fine & Gray
1999, section 4): ``eta_i`` the score contributions, ``psi_i`` the correction for the
estimated censoring distribution. The computations are ports of cmprsk's Fortran
routines ``crrfsv``, ``crrf`` and ``crrvv`` (time-fixed covariates ``cov1``; one
censoring group).

Status codes follow cmprsk: ``failcode`` (1) the cause modelled, ``cencode`` (0)
censored, any other value a competing cause.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError
from mdsrs_core.formula import ModelFrame
from mdsrs_core.models._rank import column_rank
from mdsrs_core.models.results import ModelResults

__all__ = ["CrrFit", "CrrResults", "crr"]

_EVENT_COLUMN = "mdsrs_crr_event_"
_EPS = np.finfo(float).eps


@dataclasses.dataclass
class CrrFit:
    """What crr returns: coefficients, variance, likelihoods, convergence."""

    coef: np.ndarray
    var: np.ndarray
    inf: np.ndarray  # information matrix at the estimate (crr's $inf)
    score: np.ndarray  # score at the estimate (crr's $score)
    loglik: float
    loglik_null: float
    converged: bool
    iterations: int
    uftime: np.ndarray  # distinct times of failures of the cause modelled
    n_fail: int
    n_competing: int
    n_censored: int


def censoring_weights(time: np.ndarray, censored: np.ndarray) -> np.ndarray:
    """Kaplan-Meier estimate of the censoring distribution just before each (sorted) time,
    ``G(t-)``, computed as crr does: ``survfit(Surv(ftime, cenind) ~ 1)`` evaluated by
    ``approx(..., method = "constant")`` at ``ftime * (1 - 100 eps)``."""
    utimes, inverse = np.unique(time, return_inverse=True)
    d = np.bincount(inverse, weights=censored.astype(float), minlength=len(utimes))
    counts = np.bincount(inverse, minlength=len(utimes)).astype(float)
    at_risk = counts[::-1].cumsum()[::-1]
    surv = np.cumprod(1.0 - d / at_risk)
    grid = np.concatenate(
        [[min(0.0, utimes[0]) - 10 * _EPS], utimes, [utimes[-1] * (1 + 10 * _EPS)]]
    )
    values = np.concatenate([[1.0], surv, [0.0]])
    idx = np.searchsorted(grid, time * (1 - 100 * _EPS), side="right") - 1
    return values[np.clip(idx, 0, len(values) - 1)]


class _Engine:
    """The sorted data and crr's likelihood, score, information and sandwich variance.

    Risk sets are streamed, not stored: with the subjects sorted by time, the weighted sums
    over the risk set of each distinct failure time ``u_k`` are

        S(u_k) = sum_{t_j >= u_k} e_j z_j + G(u_k-) sum_{t_j < u_k, competing} e_j z_j / G(t_j-)

    (``z_j`` = 1, ``x_j`` or ``x_j x_j'``): a suffix sum and a prefix sum, each one
    cumulative sum over the subjects read at the position of ``u_k``. Memory and time are
    linear in the number of subjects (times ``p^2``), where crr's Fortran loops over failure
    times x subjects (quadratic time) and a dense (failure times x subjects) weight matrix
    would need quadratic memory (about 20 GB at 100,000 subjects with continuous times).
    """

    def __init__(self, time: np.ndarray, ici: np.ndarray, x: np.ndarray) -> None:
        self.t = time
        self.ici = ici  # 1 failure of interest, 2 competing, 0 censored
        self.x = x
        self.g = censoring_weights(time, ici == 0)
        fail = ici == 1
        self.uft, self.dk = np.unique(time[fail], return_counts=True)
        # sum of covariates of the failures at each distinct failure time
        k_of = np.searchsorted(self.uft, time[fail])
        self.sumx = np.zeros((len(self.uft), x.shape[1]))
        np.add.at(self.sumx, k_of, x[fail])
        self.first = np.searchsorted(time, self.uft, side="left")  # first j with t_j >= u_k
        self.gk = self.g[self.first]  # G(t-) at each distinct failure time
        self.comp = ici == 2
        self.comp_w = np.where(self.comp, 1.0 / self.g, 0.0)  # 1 / G(t_j-) of competing

    def _risk_sums(self, values: np.ndarray) -> np.ndarray:
        """Per distinct failure time, the IPCW risk-set sum of ``values`` (rows = subjects,
        already multiplied by ``exp(eta)``)."""
        shape = (-1,) + (1,) * (values.ndim - 1)
        tail = np.zeros((1, *values.shape[1:]))
        # suffix[j] = sum over subjects j.. (suffix[n] = 0); prefix[j] = sum over ..j-1
        suffix = np.concatenate([np.cumsum(values[::-1], axis=0)[::-1], tail])
        prefix = np.concatenate([tail, np.cumsum(values * self.comp_w.reshape(shape), axis=0)])
        return suffix[self.first] + self.gk.reshape(shape) * prefix[self.first]

    def sums(self, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        eta = self.x @ b
        e = np.exp(eta)
        s0 = self._risk_sums(e)
        s1 = self._risk_sums(e[:, None] * self.x)
        return eta, s0, s1

    def neg_loglik(self, b: np.ndarray) -> float:
        eta, s0, _ = self.sums(b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(-(self.sumx @ b).sum() + (self.dk * np.log(s0)).sum())

    def lik_score_info(self, b: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        eta, s0, s1 = self.sums(b)
        e = np.exp(eta)
        s2 = self._risk_sums(e[:, None, None] * self.x[:, :, None] * self.x[:, None, :])
        xbar = s1 / s0[:, None]
        lik = float(-(self.sumx @ b).sum() + (self.dk * np.log(s0)).sum())
        score = -self.sumx.sum(axis=0) + (self.dk[:, None] * xbar).sum(axis=0)
        info = (
            self.dk[:, None, None] * (s2 / s0[:, None, None] - np.einsum("ka,kb->kab", xbar, xbar))
        ).sum(axis=0)
        return lik, score, info

    def sandwich_middle(self, b: np.ndarray) -> np.ndarray:
        """crrvv's ``v2``: sum over subjects of (eta_i + psi_i)(eta_i + psi_i)'."""
        t, ici, x, g = self.t, self.ici, self.x, self.g
        n, p = x.shape
        eta, s0, s1 = self.sums(b)
        e = np.exp(eta, out=eta)  # in place: eta itself is not needed
        del eta
        xbar = s1 / s0[:, None]
        dk, gk = self.dk, self.gk
        # eta_i: d N_i part minus the d Lambda hat part; "before": failure times <= t_i
        n_before = np.searchsorted(self.uft, t, side="right")  # how many u_k <= t_i

        def upto(v: np.ndarray, before: np.ndarray) -> np.ndarray:  # sum over k < before_i
            c = np.concatenate([np.zeros((1, *v.shape[1:])), np.cumsum(v, axis=0)])
            return c[before]

        def total_minus(v: np.ndarray, before: np.ndarray) -> np.ndarray:  # over k >= before_i
            return v.sum(axis=0) - upto(v, before)

        # each row-sized array is formed in place and dropped once used (10^6 rows: ~8 MB
        # each); the same operations in the same order as the written-out expressions
        a0 = upto(dk / s0, n_before)
        a1 = upto(dk[:, None] * xbar / s0[:, None], n_before)
        st1 = x * a0[:, None]  # st1 = -(e (x a0 - a1))
        st1 -= a1
        st1 *= e[:, None]
        np.negative(st1, out=st1)
        del a0, a1
        b0 = total_minus(dk * gk / s0, n_before)
        b1 = total_minus(dk[:, None] * gk[:, None] * xbar / s0[:, None], n_before)
        del n_before
        # e_j / G(t_j-) of competing failures, 0 for the others (the booleans read as 1/0)
        cw = self.comp * e / g
        del e
        term = x * b0[:, None]  # st1 -= cw (x b0 - b1)
        term -= b1
        term *= cw[:, None]
        st1 -= term
        del term, b0, b1
        k_of = np.searchsorted(self.uft, t)
        fail = ici == 1
        st1[fail] += x[fail] - xbar[k_of[fail]]
        del k_of, fail
        # psi_i: the censoring-distribution part, block by block of tied times (crrvv's
        # loop, as cumulative sums over the blocks)
        cum0 = np.concatenate([[0.0], np.cumsum(cw)])
        cum1 = np.vstack([np.zeros(p), np.cumsum(cw[:, None] * x, axis=0)])
        coef_k = dk * gk / s0
        # suffix sums over failure times u_k >= t: of coef_k and of coef_k * xbar_k
        suf_a = np.concatenate([np.cumsum(coef_k[::-1])[::-1], [0.0]])
        suf_b = np.vstack([np.cumsum((coef_k[:, None] * xbar)[::-1], axis=0)[::-1], np.zeros(p)])
        lo, size = np.unique(t, return_index=True, return_counts=True)[1:]
        block = np.repeat(np.arange(len(lo)), size)  # each subject's block of tied times
        del size
        ncens = np.bincount(block, weights=(ici == 0).astype(float), minlength=len(lo))
        icrsk = (n - lo).astype(float)
        later = np.searchsorted(self.uft, t[lo], side="left")  # first u_k >= t_lo
        qu = cum1[lo] * suf_a[later][:, None] - cum0[lo][:, None] * suf_b[later]
        del cum0, cum1, suf_a, suf_b, cw
        delta = np.where((ncens > 0)[:, None], -ncens[:, None] * qu / icrsk[:, None] ** 2, 0.0)
        ss2 = np.cumsum(delta, axis=0)
        # st2: ss2 of the row's block, plus qu / icrsk of it on the censored rows (the
        # others add 0); formed on the censored rows only, not as a (rows x p) np.where
        st2 = ss2[block]
        cens = np.flatnonzero(ici == 0)
        st2[cens] += qu[block[cens]] / icrsk[block[cens]][:, None]
        st1 += st2  # st = st1 + st2, in place
        del st2, cens
        return st1.T @ st1


def _fit(
    engine: _Engine, p: int, gtol: float, maxiter: int, init: np.ndarray | None
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, bool, int]:
    """crr's Newton-Raphson with step halving; returns b, -loglik, -score, info,
    converged, iterations."""
    b = np.zeros(p) if init is None else np.asarray(init, dtype=float).copy()
    converged = False
    iterations = 0
    for ll in range(maxiter + 1):
        f, s, h = engine.lik_score_info(b)
        iterations = ll
        if np.max(np.abs(s) * np.maximum(np.abs(b), 1)) < max(abs(f), 1) * gtol:
            converged = True
            break
        if ll == maxiter:
            break
        try:
            sc = -np.linalg.solve(h, s)
        except np.linalg.LinAlgError:
            break
        bn = b + sc
        fbn = engine.neg_loglik(bn)
        i = 0
        while np.isnan(fbn) or fbn > f + 1e-4 * float(np.sum(sc * s)):
            i += 1
            sc = sc * 0.5
            bn = b + sc
            fbn = engine.neg_loglik(bn)
            if i > 20:
                break
        if i > 20:
            break
        b = bn
    return b, f, s, h, converged, iterations


def crr_fit(
    ftime: np.ndarray,
    fstatus: np.ndarray,
    cov1: np.ndarray,
    *,
    failcode: Any = 1,
    cencode: Any = 0,
    gtol: float = 1e-6,
    maxiter: int = 10,
    init: np.ndarray | None = None,
) -> CrrFit:
    """``cmprsk::crr(ftime, fstatus, cov1, failcode, cencode)`` on complete arrays."""
    t = np.asarray(ftime, dtype=float)
    st = np.asarray(fstatus)
    x = np.asarray(cov1, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    order = np.argsort(t, kind="stable")
    t, st, x = t[order], st[order], x[order]
    del order
    # 1 the cause modelled, 0 censored, 2 a competing cause: a byte per subject, and the
    # status itself is not kept (10^6 subjects: 15 MB less while the model is fitted)
    ici = np.full(len(t), 2, dtype=np.int8)
    ici[st == cencode] = 0
    ici[st == failcode] = 1
    del st
    if not (ici == 1).any():
        raise ModelError(f"crr: no failure of the cause modelled (failcode {failcode!r}).")
    engine = _Engine(t, ici, x)
    p = x.shape[1]
    b, f, s, h, converged, iterations = _fit(engine, p, gtol, maxiter, init)
    v2 = engine.sandwich_middle(b)
    h_inv = np.linalg.inv(h)
    var = h_inv @ v2 @ h_inv.T
    return CrrFit(
        coef=b,
        var=var,
        inf=h,
        score=-s,
        loglik=-f,
        loglik_null=-engine.neg_loglik(np.zeros(p)),
        converged=converged,
        iterations=iterations,
        uftime=engine.uft,
        n_fail=int((ici == 1).sum()),
        n_competing=int((ici == 2).sum()),
        n_censored=int((ici == 0).sum()),
    )


class CrrResults(ModelResults):
    """A fitted Fine-Gray model: ``tidy()`` (subdistribution hazard ratios with
    ``exponentiate=True``), ``glance()``, ``vcov``."""

    model_name = "crr"
    r_call = "cmprsk::crr(ftime, fstatus, cov1, failcode, cencode)"

    def __init__(self, frame: ModelFrame, fit: CrrFit, failcode: Any, cencode: Any) -> None:
        super().__init__(frame, frame.term_names, fit.coef, np.sqrt(np.diag(fit.var)))
        self.fit = fit
        self.failcode = failcode
        self.cencode = cencode
        self.r_call = (
            f"cmprsk::crr(ftime, fstatus, cov1, failcode = {failcode!r}, cencode = {cencode!r})"
        )

    @property
    def vcov(self) -> pd.DataFrame:
        """Robust (sandwich) variance-covariance matrix, crr's ``$var``."""
        return pd.DataFrame(self.fit.var, index=self.terms, columns=self.terms)

    def glance(self) -> pd.DataFrame:
        """One row: ``nobs, n_dropped, nevent, n_competing, n_censored, logLik,
        logLik_null, statistic_log, p_value_log, df, converged`` (the likelihood-ratio
        figures are crr's pseudo log-likelihoods, as ``summary.crr`` prints them)."""
        from mdsrs_core.stats.distributions import chi2

        lr = 2 * (self.fit.loglik - self.fit.loglik_null)
        df = len(self.terms)
        return pd.DataFrame(
            [
                {
                    "nobs": self.nobs,
                    "n_dropped": self.n_dropped,
                    "nevent": self.fit.n_fail,
                    "n_competing": self.fit.n_competing,
                    "n_censored": self.fit.n_censored,
                    "logLik": self.fit.loglik,
                    "logLik_null": self.fit.loglik_null,
                    "statistic_log": lr,
                    "p_value_log": float(chi2.sf(lr, df)),
                    "df": df,
                    "converged": self.fit.converged,
                }
            ]
        )


def _monotone_message(
    formula: str, terms: list[str], x: np.ndarray, fail: np.ndarray
) -> str | None:
    reasons = []
    for j, term in enumerate(terms):
        col = x[:, j]
        if set(np.unique(col)) <= {0.0, 1.0}:
            for value in (1.0, 0.0):
                rows = col == value
                if rows.any() and not fail[rows].any():
                    reasons.append(
                        f"the {int(rows.sum())} rows with {term} = {value:g} have "
                        "no failure of the cause modelled"
                    )
    if not reasons:
        return None
    return (
        f"crr cannot estimate the subdistribution hazard ratio of {formula!r}: "
        f"{'; '.join(reasons)}, so the pseudo-likelihood keeps increasing as the "
        "coefficient goes to infinity (R's crr returns a large, meaningless estimate "
        "or fails to converge). Report the cumulative incidence and Gray's test instead."
    )


def crr(
    formula: str,
    data: Any,
    *,
    failcode: Any = 1,
    cencode: Any = 0,
    gtol: float = 1e-6,
    maxiter: int = 10,
) -> CrrResults:
    """Fit a Fine-Gray model, as ``cmprsk::crr(ftime, fstatus, cov1 = model.matrix(~ terms)[,
    -1], failcode, cencode)``.

    ``formula`` is ``"Surv(ftime, fstatus) ~ terms"`` with ``fstatus`` coded as cmprsk
    (``cencode`` censored, ``failcode`` the cause modelled, any other value a competing
    cause); categorical terms use treatment coding. ``data`` is a DataFrame or a Cohort;
    incomplete rows are dropped and counted.

    Raises :class:`~mdsrs_core.errors.ModelError` when there is no failure of the cause,
    no covariate, a binary covariate with no failure at one of its values (an infinite
    coefficient), or no convergence.
    """
    from mdsrs_core.formula import evaluate, model_frame
    from mdsrs_core.models.cuminc import _parse, data_frame, event_column

    time_code, status_code, rhs = _parse(formula)
    frame = data_frame(data)
    status = evaluate(status_code, frame, formula)
    work = frame.copy(deep=False)  # one new column; assign() would copy every column
    work[_EVENT_COLUMN] = event_column(status, cencode)
    mf = model_frame(f"Surv({time_code}, {_EVENT_COLUMN}) ~ {rhs}", work, intercept=False)
    mf = dataclasses.replace(mf, formula=formula)
    terms = mf.term_names
    if not terms:
        raise ModelError(
            f"The formula {formula!r} has no covariate to estimate: give at "
            "least one term (e.g. '~ arm'); for curves use cuminc."
        )
    if status_code.strip() in frame.columns and mf._positions is not None:
        st = mf.rows_of(status.to_numpy())  # the status column, rows used
    else:  # an expression: evaluated on the rows used (every column of them)
        st = evaluate(status_code, mf.data, formula).to_numpy()
    st_num = pd.to_numeric(pd.Series(st), errors="coerce")
    if st_num.notna().all():
        st = st_num.to_numpy()
    x = mf.design[terms].to_numpy(dtype=float)
    fail = st == failcode
    if not fail.any():
        raise ModelError(
            f"crr cannot fit {formula!r}: none of the {mf.nobs} rows used has a "
            f"failure of the cause modelled (failcode {failcode!r})."
        )
    if column_rank(x, centre=True) < len(terms):
        raise ModelError(
            f"The covariates of {formula!r} are collinear (or one is constant) "
            f"in the {mf.nobs} rows used: {', '.join(terms)}."
        )
    message = _monotone_message(formula, terms, x, fail)
    if message:
        raise ModelError(message)
    assert mf.time is not None  # the model frame above is of a Surv() formula
    fit = crr_fit(mf.time, st, x, failcode=failcode, cencode=cencode, gtol=gtol, maxiter=maxiter)
    if not fit.converged:
        raise ModelError(
            f"crr did not converge for {formula!r} in {maxiter} iterations (R: converged = FALSE)."
        )
    return CrrResults(mf, fit, failcode, cencode)
