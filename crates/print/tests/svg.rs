//! Charts as inline SVG: escaped text, nothing a strict Content Security Policy would block,
//! an accessible name, and the same drawing as in the PDF.

use ckisa_print::{Chart, ChartKind, XAxis, chart_svg};

use crate::occurrences;

const SCRIPT: &str = "<script>alert(1)</script>";

fn hostile_chart(kind: ChartKind) -> Chart {
    Chart::new(
        kind,
        &format!("Stock {SCRIPT}"),
        XAxis::Categories(vec![SCRIPT.into(), "Urgences & \"SAMU\"".into()]),
    )
    .y_label(SCRIPT)
    .series(SCRIPT, vec![(0.0, 3.0), (1.0, 5.0)])
    .series("Réanimation", vec![(0.0, 1.0), (1.0, 2.0)])
    .threshold(SCRIPT, 4.0)
}

#[test]
fn every_text_is_escaped_and_nothing_needs_unsafe_inline() {
    for kind in [ChartKind::Line, ChartKind::Bar] {
        let svg = chart_svg(&hostile_chart(kind), 640, 320);
        assert!(!svg.contains("<script"), "{svg}");
        assert!(
            !svg.contains("style"),
            "no style attribute or element: {svg}"
        );
        assert!(!svg.contains(" on"), "no event handler attribute: {svg}");
        assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(svg.contains("Urgences &amp; &quot;SAMU&quot;"));
        assert!(
            svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" width="640" height="320""#)
        );
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<title>Stock &lt;script&gt;alert(1)&lt;/script&gt;</title>"));
        assert_eq!(
            occurrences(svg.as_bytes(), b"<text"),
            occurrences(svg.as_bytes(), b"</text>")
        );
        assert_eq!(svg.matches('<').count(), svg.matches('>').count());
    }
}

#[test]
fn series_differ_by_colour_and_by_pattern() {
    let line = chart_svg(&hostile_chart(ChartKind::Line), 640, 320);
    // The second series is dashed and has square markers; the first is solid with discs.
    assert!(
        line.contains(r##"stroke="#d96600" stroke-width="1.6" stroke-dasharray="6 3""##),
        "{line}"
    );
    assert!(line.contains("<circle") && line.contains("<polygon"));
    let bar = chart_svg(&hostile_chart(ChartKind::Bar), 640, 320);
    // Bars of the second series carry white hatching.
    assert!(
        bar.contains(r##"stroke="#ffffff" stroke-width="0.7""##),
        "{bar}"
    );
    // The threshold is a dashed red line in both.
    for svg in [&line, &bar] {
        assert!(svg.contains(r##"stroke="#bf0d0d" stroke-width="1" stroke-dasharray="5 2.5""##));
    }
}

#[test]
fn a_time_axis_is_labelled_in_paris_time() {
    // 04/12/2026 20:00 UTC is 21:00 in Paris.
    let start = 1_796_414_400_000.0;
    let points = (0..=12)
        .map(|step| (start + f64::from(step) * 1_800_000.0, f64::from(step % 5)))
        .collect();
    let chart =
        Chart::new(ChartKind::Line, "Lits disponibles", XAxis::paris_time()).series("Lits", points);
    let svg = chart_svg(&chart, 800, 300);
    assert!(svg.contains(">04/12 21:00</text>"), "{svg}");
    assert!(svg.contains(">05/12 03:00</text>"), "{svg}");
}

#[test]
fn an_empty_chart_says_so() {
    let chart = Chart::new(ChartKind::Line, "", XAxis::paris_time()).series("", vec![]);
    let svg = chart_svg(&chart, 300, 200);
    assert!(svg.contains("<title>Graphique</title>"));
    assert!(svg.contains(">Aucune donnée</text>"));
}
