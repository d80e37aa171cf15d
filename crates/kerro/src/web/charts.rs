//! Charts for the admin overview, drawn by plotters into SVG strings on the
//! server. With plotters' SVG backend and no `ttf` feature, text is emitted as
//! SVG `<text>` that the browser renders, so the server needs no fonts.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// Colours with at least 4.5:1 contrast on white, told apart also by dash-free order in the legend.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0x1f, 0x3a, 0x8a),
    RGBColor(0xa3, 0x3b, 0x00),
    RGBColor(0x0b, 0x6e, 0x4f),
    RGBColor(0x7a, 0x1f, 0x7a),
    RGBColor(0x5c, 0x5c, 0x5c),
    RGBColor(0x8a, 0x5a, 0x00),
];

const FONT: &str = "sans-serif";

/// Lines over weeks; a point is left out where a week has no value.
pub fn lines(
    x_labels: &[String],
    series: &[(String, Vec<Option<f64>>)],
    y_max: f64,
    y_desc: &str,
) -> String {
    let mut svg = String::new();
    let failed = draw_lines(&mut svg, x_labels, series, y_max, y_desc)
        .err()
        .map(|e| e.to_string());
    if let Some(e) = failed {
        tracing::warn!("chart failed: {e}");
        svg.clear();
    }
    svg
}

fn draw_lines<'a>(
    svg: &'a mut String,
    x_labels: &[String],
    series: &[(String, Vec<Option<f64>>)],
    y_max: f64,
    y_desc: &str,
) -> Result<(), Box<dyn std::error::Error + 'a>> {
    let n = x_labels.len().max(2);
    let root = SVGBackend::with_string(svg, (760, 340)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(14)
        .x_label_area_size(36)
        .y_label_area_size(52)
        .build_cartesian_2d(0usize..n - 1, 0f64..y_max.max(1.0))?;
    chart
        .configure_mesh()
        .x_labels(8)
        .x_label_formatter(&|i| x_labels.get(*i).cloned().unwrap_or_default())
        .y_desc(y_desc)
        .label_style((FONT, 13).into_font().color(&BLACK))
        .axis_desc_style((FONT, 13).into_font().color(&BLACK))
        .light_line_style(RGBColor(0xee, 0xee, 0xee))
        .draw()?;
    for (i, (name, points)) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let pts: Vec<(usize, f64)> = points
            .iter()
            .enumerate()
            .filter_map(|(x, y)| y.map(|y| (x, y)))
            .collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(3))
            });
        chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font((FONT, 13).into_font().color(&BLACK))
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(0x66, 0x66, 0x66))
        .draw()?;
    root.present()?;
    Ok(())
}

/// Horizontal bars, one per labelled count.
pub fn bars(items: &[(String, u64)]) -> String {
    let mut svg = String::new();
    let failed = draw_bars(&mut svg, items).err().map(|e| e.to_string());
    if let Some(e) = failed {
        tracing::warn!("chart failed: {e}");
        svg.clear();
    }
    svg
}

fn draw_bars<'a>(
    svg: &'a mut String,
    items: &[(String, u64)],
) -> Result<(), Box<dyn std::error::Error + 'a>> {
    let n = items.len().max(1) as i32;
    let max = items.iter().map(|(_, c)| *c).max().unwrap_or(0).max(1);
    let height = 60 + 30 * items.len().max(1) as u32;
    let root = SVGBackend::with_string(svg, (760, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(280)
        .build_cartesian_2d(0u64..max + max / 10 + 1, (0..n).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(items.len().max(1))
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => items
                .get(*i as usize)
                .map(|(l, _)| l.clone())
                .unwrap_or_default(),
            SegmentValue::Last => String::new(),
        })
        .label_style((FONT, 13).into_font().color(&BLACK))
        .light_line_style(RGBColor(0xee, 0xee, 0xee))
        .draw()?;
    chart.draw_series(
        Histogram::horizontal(&chart)
            .style(PALETTE[0].filled())
            .margin(6)
            .data(items.iter().enumerate().map(|(i, (_, c))| (i as i32, *c))),
    )?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_text() {
        let svg = lines(
            &["1.1.".into(), "8.1.".into(), "15.1.".into()],
            &[("Uutiset".into(), vec![Some(50.0), None, Some(75.0)])],
            100.0,
            "%",
        );
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("Uutiset"));
        let svg = bars(&[("Pilvi".into(), 3), ("OT".into(), 0)]);
        assert!(svg.contains("Pilvi") && svg.contains("<rect"));
    }
}
