"""The paired plot and table shared by the compare and batch reports: one line per
seed joining its value in each configuration (mode or sweep point), the means
beside, and the paired differences with their intervals and tests."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import numpy as np

from skyweave.io.report_style import _e, _new_figure, _table

_DIFF_COLOUR = "#1f77b4"
_BOOT_COLOUR = "#ff7f0e"


def paired_figure(
    labels: Sequence[str],
    panels: Sequence[tuple[str, Sequence[Sequence[float | None]]]],
    differences: Sequence[Sequence[Mapping[str, Any]]],
) -> Any:
    """A figure with, per measure, the per-seed lines and the paired differences.

    Parameters
    ----------
    labels
        The configurations, left to right.
    panels
        ``(measure title, values)`` with ``values[k][i]`` the measure of
        configuration ``k`` on seed ``i``.
    differences
        Per panel, the paired differences to draw (each with ``a``, ``b``,
        ``mean``, ``t_ci95``, ``bootstrap_ci95``).
    """
    n = len(panels)
    fig = _new_figure(10.0, 2.9 * n)
    grid = fig.add_gridspec(n, 2, width_ratios=[1.3, 1.0])
    x = np.arange(len(labels), dtype=np.float64)
    for row, ((title, per_config), diffs) in enumerate(zip(panels, differences, strict=True)):
        ax = fig.add_subplot(grid[row, 0])
        table = np.array(
            [[np.nan if v is None else float(v) for v in values] for values in per_config]
        )
        n_seeds = table.shape[1] if table.ndim == 2 else 0
        # a small seed-dependent offset so that equal lines stay visible
        jitter = np.linspace(-0.06, 0.06, n_seeds) if n_seeds > 1 else np.zeros(n_seeds)
        for i in range(n_seeds):
            ax.plot(x + jitter[i], table[:, i], color="0.55", lw=0.7, alpha=0.6, marker=".", ms=3)
        means = np.nanmean(table, axis=1) if n_seeds else np.full(len(labels), np.nan)
        ax.plot(x, means, color="black", lw=2.0, marker="D", ms=5, label="mean over seeds")
        ax.set_xticks(x, labels)
        ax.set_xlim(-0.3, len(labels) - 0.7)
        ax.set_title(f"{title}, seed by seed")
        ax.grid(axis="y", alpha=0.3)
        if row == 0:
            ax.legend(loc="best")
        dx = fig.add_subplot(grid[row, 1])
        names = [f"{d['b']} − {d['a']}" for d in diffs]
        y = np.arange(len(diffs), dtype=np.float64)
        for k, d in enumerate(diffs):
            if d.get("t_ci95") is not None:
                low, high = d["t_ci95"]
                dx.plot([low, high], [y[k] + 0.1] * 2, color=_DIFF_COLOUR, lw=2.5)
            if d.get("bootstrap_ci95") is not None:
                low, high = d["bootstrap_ci95"]
                dx.plot([low, high], [y[k] - 0.1] * 2, color=_BOOT_COLOUR, lw=2.5)
            if d.get("mean") is not None:
                dx.plot([d["mean"]], [y[k]], "ko", ms=4)
        dx.axvline(0.0, color="0.3", lw=0.8, ls="--")
        dx.set_yticks(y, names)
        dx.set_ylim(-0.6, len(diffs) - 0.4)
        dx.invert_yaxis()
        dx.set_title(f"{title}: difference, 95 % CI")
        dx.grid(axis="x", alpha=0.3)
        if row == 0:
            dx.plot([], [], color=_DIFF_COLOUR, lw=2.5, label="paired t")
            dx.plot([], [], color=_BOOT_COLOUR, lw=2.5, label="bootstrap")
            dx.legend(loc="best")
    return fig


def fmt(value: Any) -> str:
    """Three significant digits, ``-`` for no value."""
    return "-" if value is None else f"{float(value):.3g}"


def _ci(ci: Sequence[float] | None) -> str:
    return "-" if ci is None else f"[{ci[0]:.3g}, {ci[1]:.3g}]"


def _pair(d: Mapping[str, Any]) -> str:
    return f"{d['b']} − {d['a']}"


def differences_html(
    differences: Sequence[Mapping[str, Any]],
    measures: Collection[str] | None = None,
    pair_label: Callable[[Mapping[str, Any]], str] = _pair,
) -> str:
    """A table of paired differences (of ``measures`` only, when given)."""
    rows = [
        [
            _e(d["measure"]),
            _e(pair_label(d)),
            str(d["n"]),
            fmt(d["mean_a"]),
            fmt(d["mean_b"]),
            fmt(d["mean"]),
            _ci(d["t_ci95"]),
            _ci(d["bootstrap_ci95"]),
            fmt(d["sign_p"]),
            fmt(d["wilcoxon_p"]),
        ]
        for d in differences
        if measures is None or d["measure"] in measures
    ]
    headers = [
        "measure",
        "B − A",
        "pairs",
        "mean A",
        "mean B",
        "mean B − A",
        "paired t 95 % CI",
        "bootstrap 95 % CI",
        "sign test p",
        "Wilcoxon p",
    ]
    return _table(headers, rows, left=2, cls="paired")
