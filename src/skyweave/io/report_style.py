"""Figure and HTML helpers shared by the run and batch reports (deterministic output)."""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


# ----------------------------------------------------------------------- figures


@contextmanager
def _style() -> Iterator[None]:
    """Matplotlib's default style whatever the user's rc says, plus our page settings."""
    import matplotlib as mpl
    import matplotlib.style

    rc: dict[str, Any] = {
        "font.family": "DejaVu Sans",
        "font.size": 9.0,
        "axes.titlesize": 10.0,
        "axes.titleweight": "bold",
        "axes.labelsize": 9.0,
        "legend.fontsize": 8.0,
        "legend.framealpha": 0.9,
        "xtick.labelsize": 8.0,
        "ytick.labelsize": 8.0,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "skyweave",
        "path.simplify": True,
    }
    with matplotlib.style.context("default"), mpl.rc_context(rc):  # type: ignore[arg-type]
        yield


def _new_figure(width_in: float, height_in: float, layout: Any = "constrained") -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Any) -> bytes:
    """A Matplotlib figure as PNG bytes, without metadata that would vary."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    return buf.getvalue()


def _fmt_lat(v: float, _pos: object = None) -> str:
    return f"{abs(v):g}°{'S' if v < 0 else 'N' if v > 0 else ''}"


def _fmt_lon(v: float, _pos: object = None) -> str:
    w = (v + 180.0) % 360.0 - 180.0
    if abs(w) >= 180.0 or w == 0.0:
        return f"{abs(w):g}°"
    return f"{abs(w):g}°{'W' if w < 0 else 'E' if 0 < w < 180 else ''}"


def _minutes(seconds: FloatArray | float) -> Any:
    return np.asarray(seconds, dtype=np.float64) / 60.0


def _compact_ids(ids: Sequence[str], max_chars: int | None = None) -> str:
    """``raid-n-1, raid-n-2, raid-n-3`` -> ``raid-n-1/2/3`` (salvo members share a label).

    With ``max_chars``, a label longer than that becomes ``first id +N more`` (a
    large raid's impact area can hold dozens of threats: the full list would run
    over its neighbours).
    """
    if len(ids) == 1:
        return ids[0]
    m = [re.fullmatch(r"(.*-)(\d+)", i) for i in ids]
    if all(m) and len({x.group(1) for x in m if x}) == 1:
        first = m[0]
        assert first is not None
        text = first.group(1) + "/".join(x.group(2) for x in m if x)
    else:
        text = ", ".join(ids)
    if max_chars is not None and len(text) > max_chars:
        return f"{ids[0]} +{len(ids) - 1} more"
    return text


# -------------------------------------------------------------------------- HTML


_CSS = """
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;color:#1b1b1b;margin:0 auto;
max-width:1100px;padding:0 18px 40px;line-height:1.4;font-size:14px}
header{border-bottom:3px solid #1b1b1b;margin-bottom:10px}
h1{font-size:24px;margin:18px 0 4px}h2{font-size:18px;margin:26px 0 6px;
border-bottom:1px solid #bbb}
.desc{margin:4px 0 8px;color:#333}.banner{background:#fff4d6;border:1px solid #e0c060;
padding:4px 8px;font-size:12px;display:inline-block;margin:6px 0}
dl.facts{display:grid;grid-template-columns:max-content auto max-content auto;gap:2px 14px;
font-size:13px;margin:8px 0}dl.facts dt{font-weight:bold}dl.facts dd{margin:0}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0 10px}
th,td{border:1px solid #c8c8c8;padding:3px 7px;text-align:right}
th{background:#eef1f4}td.l,th.l{text-align:left}tr.acc td{background:#fff8e6}
td.bad{color:#b00000;font-weight:bold}
figure{margin:8px 0 14px}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:12px;color:#444;margin-top:3px}.sw{display:inline-block;width:10px;
height:10px;border:1px solid #333;margin-right:4px;vertical-align:middle}
footer{margin-top:30px;font-size:11px;color:#666;border-top:1px solid #ccc;padding-top:6px}
@media print{h2{page-break-before:auto}figure{page-break-inside:avoid}}
"""


#: Resolution of the embedded figures: legible on a laptop and a projector,
#: and a page of a few hundred kilobytes.
DPI = 100


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _t(seconds: Any) -> str:
    """Scenario time as T+mm:ss (or h:mm:ss)."""
    if seconds is None or not math.isfinite(float(seconds)):
        return "-"
    s = float(seconds)
    sign = "-" if s < 0 else "+"
    s = abs(round(s))
    h, rem = divmod(int(s), 3600)
    m, sec = divmod(rem, 60)
    return f"T{sign}{h}:{m:02d}:{sec:02d}" if h else f"T{sign}{m:02d}:{sec:02d}"


def _num(value: Any, digits: int = 0, scale: float = 1.0) -> str:
    if value is None:
        return "-"
    v = float(value) * scale
    return f"{v:,.{digits}f}" if math.isfinite(v) else "-"


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    left: int = 1,
    row_attrs: Sequence[str] | None = None,
    cls: str = "",
) -> str:
    """An HTML table; cells are given already escaped; the first ``left`` columns align left."""
    out = [f'<table class="{cls}">' if cls else "<table>", "<thead><tr>"]
    out += [
        f'<th class="l">{h}</th>' if i < left else f"<th>{h}</th>" for i, h in enumerate(headers)
    ]
    out.append("</tr></thead><tbody>")
    for k, row in enumerate(rows):
        attrs = f" {row_attrs[k]}" if row_attrs else ""
        out.append(f"<tr{attrs}>")
        for i, cell in enumerate(row):
            if cell.startswith("\x00bad"):
                out.append(f'<td class="bad">{cell[4:]}</td>')
            else:
                out.append(f'<td class="l">{cell}</td>' if i < left else f"<td>{cell}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _swatch(colour: str, name: str) -> str:
    return f'<span class="sw" style="background:{_e(colour)}"></span>{_e(name)}'


def _figure_html(fig_id: str, png: bytes, alt: str, caption: str) -> str:
    return (
        f'<figure class="plot" id="{fig_id}">{_img(png, alt)}'
        f"<figcaption>{caption}</figcaption></figure>"
    )
