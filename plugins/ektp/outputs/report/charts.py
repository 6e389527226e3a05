"""The report's charts as plotly figures, with every word from the catalogue and the locale's numbers.

Each figure goes to the page as JSON (see ``page``) and is drawn by plotly.js in the browser, sized by its
card: no figure has a fixed width, legends sit below the plot where they have the card's whole width, and
long category names get the room they need on the left.
"""

from __future__ import annotations

import html
from typing import Any

from ektp.core.texts import Texts
from ektp.outputs.report import palette
from ektp.outputs.report.data import MAX_KELURAHAN_BARS

_FONT = "Inter, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
#: sites in the funnel chart (the most recorded first); the table holds them all
MAX_FUNNEL_SITES = 15
#: plotly's decimal and thousands separators per locale (d3-format reads them)
_SEPARATORS = {"id": ",.", "en": ".,"}


def _label(text: Any) -> str:
    """Text for a chart label or legend: plotly.js reads tags and entities in them (``<b>``, ``<a href>``), so a
    name shows as written only with ``<``, ``>`` and ``&`` as entities."""
    return html.escape(str(text), quote=False)


def _wrapped(text: Any, width: int = 28) -> str:
    """A long category label on lines of about ``width`` characters (escaped, then joined by ``<br>``), so the
    plot keeps its room on a narrow screen."""
    import textwrap

    return "<br>".join(_label(line) for line in textwrap.wrap(str(text), width)) or _label(text)


def _layout(fig, _: Texts, height: int, **extra) -> None:
    layout = {"template": "plotly_white", "height": height, "autosize": True, "separators": _SEPARATORS[_.locale],
              "font": {"family": _FONT, "size": 12, "color": "#1f2937"},
              "margin": {"l": 10, "r": 16, "t": 10, "b": 10}, "hoverlabel": {"font": {"family": _FONT}},
              "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0}}
    fig.update_layout({**layout, **extra})
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)


def _kelurahan_label(r: dict) -> str:
    return _label(f"{r['kelurahan_name']} ({r['kelurahan_code'][-4:]})")


def _mark_extracts(fig, data: dict, _: Texts) -> None:
    """A dashed line and a note at every date another extract came into force."""
    days = [r["report_date"] for r in data["trend"]]
    for change in data["extract_changes"]:
        if change["previous"] is None:
            continue
        x = days.index(change["report_date"])
        fig.add_vline(x=x - 0.5, line_dash="dot", line_color=palette.BLACK, line_width=1)
        fig.add_annotation(x=x - 0.5, y=1, yref="paper", yanchor="bottom", xanchor="left", showarrow=False,
                           text=_label(_("new extract {date}", date=_.date(change["extract_date"], "short"))),
                           font={"size": 11})


def figures(data: dict, _: Texts) -> dict[str, Any]:
    """Every chart the data has something for, by name (the page draws each in ``#chart-<name>``)."""
    import plotly.graph_objects as go

    charts: dict[str, Any] = {}
    overall = data["totals"]["coverage_pct"]
    number = _.number

    kec = sorted(data["kecamatan"], key=lambda r: (r["coverage_pct"], r["kecamatan_code"]))
    if kec:
        fig = go.Figure(go.Bar(
            x=[r["coverage_pct"] for r in kec], y=[_label(r["kecamatan_name"]) for r in kec], orientation="h",
            marker_color=palette.BLUE, text=[_.percent(r["coverage_pct"]) for r in kec], textposition="inside",
            insidetextanchor="end", textfont={"color": "#ffffff"},
            customdata=[[_label(r["kecamatan_code"]), number(r["recorded_to_date"]), number(r["target_residents"]),
                         number(r["remaining"]), _.percent(r["coverage_pct"])] for r in kec],
            hovertemplate="<b>%{y}</b> (%{customdata[0]})<br>" + _label(_(
                "coverage {pct}; recorded {recorded} of {target}; remaining {remaining}",
                pct="%{customdata[4]}", recorded="%{customdata[1]}", target="%{customdata[2]}",
                remaining="%{customdata[3]}")) + "<extra></extra>"))
        if overall is not None:
            fig.add_vline(x=overall, line_dash="dash", line_color=palette.BLACK,
                          annotation_text=_label(_("all: {pct}", pct=_.percent(overall))),
                          annotation_position="top")
        _layout(fig, _, 70 + 34 * len(kec), margin={"l": 10, "r": 16, "t": 30, "b": 10})
        fig.update_xaxes(title_text=_label(_("coverage to date (%)")), range=[0, 100], ticksuffix="%")
        fig.update_yaxes(autorange="reversed")
        charts["kecamatan"] = fig

    kel = data["kelurahan"][:MAX_KELURAHAN_BARS]
    if kel:
        names = {r["kecamatan_code"]: _label(r["kecamatan_name"]) for r in data["kecamatan"]}
        order = sorted({r["kecamatan_code"] for r in kel})
        fig = go.Figure()
        for i, code in enumerate(order):
            rows = [r for r in kel if r["kecamatan_code"] == code]
            fig.add_trace(go.Bar(
                x=[r["coverage_pct"] for r in rows], y=[_kelurahan_label(r) for r in rows],
                orientation="h", name=names.get(code, _label(code)), marker_color=palette.category(i),
                marker_pattern_shape=palette.pattern(i),
                customdata=[[_label(r["kelurahan_code"]), number(r["recorded_to_date"]), number(r["target_residents"]),
                             number(r["remaining"]), _.percent(r["coverage_pct"])] for r in rows],
                hovertemplate="<b>%{y}</b><br>%{customdata[0]}<br>" + _label(_(
                    "coverage {pct}; recorded {recorded} of {target}; remaining {remaining}",
                    pct="%{customdata[4]}", recorded="%{customdata[1]}", target="%{customdata[2]}",
                    remaining="%{customdata[3]}")) + "<extra>%{fullData.name}</extra>"))
        labels = [_kelurahan_label(r) for r in kel]
        _layout(fig, _, 150 + 19 * len(kel), bargap=0.25,
                legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0})
        fig.update_xaxes(title_text=_label(_("coverage to date (%)")), range=[0, 100], ticksuffix="%")
        fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed", tickfont={"size": 11})
        charts["kelurahan"] = fig

    trend = data["trend"]
    if trend:
        days = [_.date(r["report_date"], "short") for r in trend]

        def col(name: str) -> list:
            return [r.get(name) for r in trend]

        fig = go.Figure()
        other = [None if r.get("rows_accepted") is None else r["rows_accepted"] - r["matched"] for r in trend]
        for name, values, colour in ((_("matched"), col("matched"), palette.MATCHED),
                                     (_("accepted, not matched"), other, palette.OTHER),
                                     (_("duplicate"), col("rows_duplicate"), palette.DUPLICATE),
                                     (_("rejected"), col("rows_rejected"), palette.REJECTED)):
            fig.add_trace(go.Bar(x=days, y=values, name=_label(name), marker_color=colour,
                                 hovertemplate="%{x}: %{y:,}<extra>" + _label(name) + "</extra>"))
        _layout(fig, _, 360, barmode="stack")
        fig.update_xaxes(type="category", title_text=_label(_("recording date")))
        fig.update_yaxes(title_text=_label(_("rows received")), tickformat=",d")
        charts["recordings"] = fig

        # coverage written on the report date and on the last date of each extract (where it restarts): on
        # every point the labels would run into each other on a phone
        restarts = {c["report_date"] for c in data["extract_changes"] if c["previous"]}
        shown = {i for i, r in enumerate(trend) if i == len(trend) - 1 or
                 (i + 1 < len(trend) and trend[i + 1]["report_date"] in restarts)}
        labelled = [_.percent(r["coverage_pct"]) if i in shown and r.get("coverage_pct") is not None else None
                    for i, r in enumerate(trend)]
        fig = go.Figure()
        fig.add_trace(go.Scatter(x=days, y=col("target_residents"), name=_label(_("target residents")),
                                 mode="lines+markers", line={"color": palette.GREY, "dash": "dash", "shape": "hv"},
                                 hovertemplate="%{x}: %{y:,}<extra>" + _label(_("target residents")) + "</extra>"))
        fig.add_trace(go.Scatter(
            x=days, y=col("recorded_to_date"), name=_label(_("recorded since the extract")),
            mode="lines+markers+text", line={"color": palette.BLUE, "width": 3}, fill="tozeroy",
            fillcolor="rgba(0,114,178,0.12)", text=labelled, textposition="top center",
            customdata=[[_.date(r.get("extract_date")), _.percent(r.get("coverage_pct"))] for r in trend],
            hovertemplate="%{x}: %{y:,} (%{customdata[1]})<br>" + _label(_("extract {date}", date="%{customdata[0]}"))
                          + "<extra></extra>"))
        _layout(fig, _, 360, margin={"l": 10, "r": 16, "t": 24, "b": 10})
        fig.update_xaxes(type="category", title_text=_label(_("report date")))
        fig.update_yaxes(title_text=_label(_("residents")), tickformat=",d", rangemode="tozero")
        _mark_extracts(fig, data, _)
        charts["cumulative"] = fig

        fig = go.Figure()
        fig.add_trace(go.Bar(x=days, y=col("matched"), name=_label(_("matched on the date")),
                             marker_color=palette.SKY,
                             hovertemplate="%{x}: %{y:,}<extra>" + _label(_("matched on the date")) + "</extra>"))
        fig.add_trace(go.Scatter(x=days, y=col("campaign_matched"), name=_label(_("campaign to date")),
                                 mode="lines+markers", line={"color": palette.BLUE, "width": 3},
                                 hovertemplate="%{x}: %{y:,}<extra>" + _label(_("campaign to date")) + "</extra>"))
        _layout(fig, _, 360, margin={"l": 10, "r": 16, "t": 24, "b": 10})
        fig.update_xaxes(type="category", title_text=_label(_("report date")))
        fig.update_yaxes(title_text=_label(_("matched recordings")), tickformat=",d", rangemode="tozero")
        _mark_extracts(fig, data, _)
        charts["campaign"] = fig

    rej = data["rejections"]
    if rej:
        from ektp.core.reasons import describe

        fig = go.Figure(go.Bar(
            x=[r["rows"] for r in rej], y=[_wrapped(describe(r["reason"], _)) for r in rej], orientation="h",
            marker_color=palette.REJECTED, text=[number(r["rows"]) for r in rej], textposition="outside",
            cliponaxis=False, hovertemplate="<b>%{y}</b>: %{x:,}<extra></extra>"))
        _layout(fig, _, 80 + 48 * len(rej), margin={"l": 10, "r": 40, "t": 10, "b": 10})
        fig.update_xaxes(title_text=_label(_("rows rejected (by first reason)")), rangemode="tozero",
                         tickformat=",d", dtick=1 if max(r["rows"] for r in rej) <= 10 else None)
        fig.update_yaxes(autorange="reversed", tickfont={"size": 11})
        charts["rejections"] = fig

    funnel = data["funnel"][:MAX_FUNNEL_SITES]
    if funnel:
        sites = [_wrapped(r["site_name"] or r["site_code"]) for r in funnel]
        fig = go.Figure()
        for key, name, colour in (("recorded", _("recorded"), palette.FUNNEL[0]),
                                  ("prr", _("print-ready"), palette.FUNNEL[1]),
                                  ("printed", _("printed"), palette.FUNNEL[2]),
                                  ("delivered", _("handed over"), palette.FUNNEL[3]),
                                  ("activated", _("activated"), palette.FUNNEL[4]),
                                  ("biometric_duplicate", _("biometric duplicate"), palette.BIOMETRIC_DUPLICATE)):
            fig.add_trace(go.Bar(x=[r[key] for r in funnel], y=sites, orientation="h", name=_label(name),
                                 marker_color=colour, hovertemplate="<b>%{y}</b>: %{x:,}<extra>" + _label(name)
                                                                    + "</extra>"))
        _layout(fig, _, 140 + 90 * len(funnel), barmode="group", bargap=0.2,
                legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0},
                margin={"l": 10, "r": 16, "t": 40, "b": 10})
        fig.update_xaxes(title_text=_label(_("recordings")), rangemode="tozero", tickformat=",d")
        fig.update_yaxes(autorange="reversed")
        charts["funnel"] = fig
    return charts
