//! Odd inputs never panic: empty text, words longer than a page, NaN and infinite values,
//! empty series, single points, tiny or zero-sized charts, and random input via proptest.

use ckisa_print::{Chart, ChartKind, Column, Document, Row, XAxis, chart_svg};
use proptest::prelude::*;

use crate::page_count;

fn odd_values() -> Vec<f64> {
    vec![
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1e300,
        -1e300,
        f64::MIN_POSITIVE,
        1e15,
        -7.5,
    ]
}

fn odd_charts() -> Vec<Chart> {
    let long_word = "Hémato".repeat(200);
    let mut charts = Vec::new();
    for kind in [ChartKind::Line, ChartKind::Bar] {
        let axes = [
            XAxis::paris_time(),
            XAxis::Categories(Vec::new()),
            XAxis::Categories(vec![String::new(), long_word.clone()]),
            XAxis::Categories((0..400).map(|index| format!("Unité {index}")).collect()),
        ];
        for axis in axes {
            let odd: Vec<(f64, f64)> = odd_values()
                .into_iter()
                .flat_map(|x| odd_values().into_iter().map(move |y| (x, y)))
                .collect();
            charts.push(Chart::new(kind, "", axis.clone()));
            charts.push(
                Chart::new(kind, &long_word, axis.clone())
                    .series("", vec![])
                    .threshold("", f64::NAN),
            );
            charts.push(
                Chart::new(kind, "Un point", axis.clone())
                    .series("s", vec![(0.0, 3.0)])
                    .threshold("Seuil", 3.0),
            );
            charts.push(
                Chart::new(kind, "Même x", axis.clone()).series("a", vec![(1.0, 1.0), (1.0, 2.0)]),
            );
            charts.push(
                Chart::new(kind, "Bizarre", axis.clone())
                    .y_label(&long_word)
                    .series(&long_word, odd)
                    .series(
                        "grand",
                        vec![(1_796_414_400_000.0, 1e15), (1_796_414_400_001.0, -1e15)],
                    )
                    .threshold(&long_word, 1e300),
            );
            let many = (0..9).map(|index| format!("Série {index}"));
            let chart = many.fold(Chart::new(kind, "Neuf séries", axis), |chart, name| {
                chart.series(
                    &name,
                    vec![(0.0, 1.0), (1.0, 2.0), (2.0, f64::NAN), (3.0, 4.0)],
                )
            });
            charts.push(chart);
        }
    }
    charts
}

#[test]
fn odd_charts_draw_in_any_size_without_panicking() {
    for chart in odd_charts() {
        for (width, height) in [
            (0, 0),
            (1, 1),
            (40, 30),
            (120, 80),
            (640, 320),
            (20_000, 20_000),
        ] {
            let svg = chart_svg(&chart, width, height);
            assert!(svg.ends_with("</svg>"));
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        }
        let mut document = Document::new(&chart.title);
        document.chart(&chart);
        let pdf = document.finish();
        assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
        assert!(
            !String::from_utf8_lossy(&pdf).contains("NaN"),
            "NaN drawing {:?} {:?} {:?}",
            chart.title.chars().take(20).collect::<String>(),
            chart.kind,
            chart.x_axis
        );
    }
}

#[test]
fn odd_text_lays_out_without_panicking() {
    let long_word = "x".repeat(5000);
    let texts = [
        String::new(),
        " ".repeat(50),
        "\n\n\n".to_owned(),
        long_word.clone(),
        "🚑".repeat(300),
        "\u{301}\u{302}e\u{301}".to_owned(),
        "a\u{0}b\u{7f}c\r\nd\re".to_owned(),
        "mot ".repeat(3000),
    ];
    let mut document = Document::new(&long_word);
    document.subtitle(&long_word).footer(&long_word);
    for text in &texts {
        document.heading(text).subheading(text).paragraph(text);
        document.key_values(&[(text.as_str(), text.as_str()), ("", "")]);
        let columns = [Column::new(text, 1.0), Column::new("", f32::MIN_POSITIVE)];
        let rows = [
            Row::new([text.clone(), text.clone()]),
            Row::new(Vec::<String>::new()),
        ];
        document.table(&columns, &rows).expect("valid table");
    }
    document
        .table(&[Column::new("seule", 1e30)], &[])
        .expect("valid table");
    let pdf = document.finish();
    assert!(pdf.starts_with(b"%PDF-") && pdf.trim_ascii_end().ends_with(b"%%EOF"));
    assert!(page_count(&pdf) > 3);
}

fn odd_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        -1e6..1e6_f64,
        1.7e12..1.9e12_f64,
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_charts_never_panic(
        points in prop::collection::vec((odd_number(), odd_number()), 0..30),
        labels in prop::collection::vec(".{0,20}", 0..8),
        title in ".{0,40}",
        threshold in odd_number(),
        bar in any::<bool>(),
        time in any::<bool>(),
        width in 0u32..1200,
        height in 0u32..800,
    ) {
        let kind = if bar { ChartKind::Bar } else { ChartKind::Line };
        let axis = if time { XAxis::paris_time() } else { XAxis::Categories(labels) };
        let chart = Chart::new(kind, &title, axis).series(&title, points).threshold(&title, threshold);
        let svg = chart_svg(&chart, width, height);
        prop_assert!(svg.ends_with("</svg>"));
        prop_assert!(!svg.contains("<script"));
        let mut document = Document::new(&title);
        document.chart(&chart);
        prop_assert!(document.finish().trim_ascii_end().ends_with(b"%%EOF"));
    }

    #[test]
    fn random_text_never_panics(cells in prop::collection::vec(any::<String>(), 1..6), text in any::<String>()) {
        let columns: Vec<Column> = cells.iter().map(|title| Column::new(title, 1.0)).collect();
        let mut document = Document::new(&text);
        document.paragraph(&text).footer(&text);
        document.table(&columns, &[Row::new(cells.clone())]).expect("one cell per column");
        let pdf = document.finish();
        prop_assert!(pdf.starts_with(b"%PDF-") && pdf.trim_ascii_end().ends_with(b"%%EOF"));
    }
}
