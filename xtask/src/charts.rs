//! Line charts with plotters, written as SVG and PNG.
//!
//! Text is laid out with ab_glyph from DejaVu Sans embedded by the `dejavu` crate, so PNGs get
//! real text without fontconfig or any system font (plotters' `ttf` feature needs both). SVGs
//! name the `sans-serif` family and let the viewer pick the face.

use std::path::{Path, PathBuf};
use std::sync::Once;

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;

/// Pixel size of every chart.
const SIZE: (u32, u32) = (1120, 600);

/// Width of the legend panel right of the plot: the legend never covers data.
const LEGEND_WIDTH: u32 = 270;

/// Height of the title and subtitle above the plot.
const HEADER_HEIGHT: u32 = 64;

/// How an axis maps values: plotted values are transformed, tick labels show the originals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Linear,
    /// Linear with whole-number ticks: thread counts.
    Integer,
    /// Base-2 logarithmic: message sizes, memory.
    Log2,
    /// Base-10 logarithmic: throughput and time over orders of magnitude.
    Log10,
}

impl Scale {
    fn forward(self, value: f64) -> f64 {
        match self {
            Scale::Linear | Scale::Integer => value,
            Scale::Log2 => value.log2(),
            Scale::Log10 => value.log10(),
        }
    }

    fn inverse(self, value: f64) -> f64 {
        match self {
            Scale::Linear | Scale::Integer => value,
            Scale::Log2 => value.exp2(),
            Scale::Log10 => 10f64.powf(value),
        }
    }

    /// Tick positions (in plotted units) over the plotted range `low..high`.
    fn ticks(self, low: f64, high: f64) -> Vec<f64> {
        match self {
            Scale::Log2 => {
                let (first, last) = (low.ceil() as i64, high.floor() as i64);
                let step = ((last - first) / 10 + 1).max(1) as usize;
                (first..=last).step_by(step).map(|e| e as f64).collect()
            }
            Scale::Log10 => {
                let mut ticks = Vec::new();
                for decade in (low.floor() as i64)..=(high.ceil() as i64) {
                    for mantissa in [1.0f64, 2.0, 5.0] {
                        let tick = decade as f64 + mantissa.log10();
                        if (low..=high).contains(&tick) {
                            ticks.push(tick);
                        }
                    }
                }
                ticks
            }
            Scale::Integer => {
                let wanted = (high - low) / 8.0;
                let step = [1i64, 2, 5, 10, 20, 50, 100, 200, 500]
                    .into_iter()
                    .find(|&step| step as f64 >= wanted)
                    .unwrap_or(1000);
                // Multiples of the step, and 1 (the single-thread baseline) where in range.
                ((low.ceil() as i64)..=(high.floor() as i64))
                    .filter(|&tick| tick % step == 0 || tick == 1)
                    .map(|tick| tick as f64)
                    .collect()
            }
            Scale::Linear => {
                let raw = (high - low) / 6.0;
                if raw <= 0.0 || !raw.is_finite() {
                    return vec![low];
                }
                let magnitude = 10f64.powf(raw.log10().floor());
                let step = [1.0, 2.0, 5.0, 10.0]
                    .into_iter()
                    .map(|m| m * magnitude)
                    .find(|&step| step >= raw)
                    .unwrap_or(10.0 * magnitude);
                let mut tick = (low / step).ceil() * step;
                let mut ticks = Vec::new();
                while tick <= high + step * 1e-9 {
                    ticks.push(tick);
                    tick += step;
                }
                ticks
            }
        }
    }
}

/// One measured point with its spread (`low..high`, e.g. the interquartile range).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
    pub low: f64,
    pub high: f64,
}

impl Point {
    /// A point without spread.
    pub fn exact(x: f64, y: f64) -> Point {
        Point {
            x,
            y,
            low: y,
            high: y,
        }
    }
}

/// The shape drawn at each point of a series.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Marker {
    #[default]
    Circle,
    Square,
    Triangle,
    Diamond,
    /// An outlined ring, for points that stand out from a line (recommended settings).
    Ring,
}

/// A series of points, joined by a line or not.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub name: String,
    /// Index into the palette; series of one kind share a colour.
    pub color: usize,
    /// Dashed lines mark references (ideal scaling) or the second direction of a pair.
    pub dashed: bool,
    /// Join the points with a line; off for figures measured at a few separate points, where
    /// a line would invent the values between them.
    pub line: bool,
    pub marker: Marker,
    pub points: Vec<Point>,
}

/// A horizontal reference line with a label.
#[derive(Clone, Debug, PartialEq)]
pub struct Guide {
    pub y: f64,
    pub label: String,
}

/// A vertical reference line with a label, e.g. e2eb's chunk size.
#[derive(Clone, Debug, PartialEq)]
pub struct XMark {
    pub x: f64,
    pub label: String,
}

/// A chart to draw.
#[derive(Clone, Debug)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_scale: Scale,
    pub y_scale: Scale,
    pub x_format: fn(f64) -> String,
    pub y_format: fn(f64) -> String,
    pub series: Vec<Series>,
    pub guides: Vec<Guide>,
    /// Vertical reference lines.
    pub x_marks: Vec<XMark>,
    /// Under the title: which host, run and commit the figures come from.
    pub subtitle: String,
}

/// Colour-blind-friendly palette (Okabe and Ito), then greys.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(0, 0, 0),
];

fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        // The font is a valid TrueType file shipped by the crate; failure is a packaging bug.
        let regular = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let bold =
            plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
        assert!(
            regular.is_ok() && bold.is_ok(),
            "the embedded DejaVu Sans loads"
        );
    });
}

/// Draws `chart` to `<stem>.svg` and `<stem>.png` and returns both paths.
pub fn render(chart: &Chart, stem: &Path) -> Result<Vec<PathBuf>, String> {
    register_fonts();
    let svg = stem.with_extension("svg");
    let png = stem.with_extension("png");
    draw(SVGBackend::new(&svg, SIZE).into_drawing_area(), chart)
        .map_err(|error| format!("{}: {error}", svg.display()))?;
    draw(BitMapBackend::new(&png, SIZE).into_drawing_area(), chart)
        .map_err(|error| format!("{}: {error}", png.display()))?;
    Ok(vec![svg, png])
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, chart: &Chart) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let fail = |error: DrawingAreaErrorKind<DB::ErrorType>| error.to_string();
    root.fill(&WHITE).map_err(fail)?;
    let (header, body) = root.split_vertically(HEADER_HEIGHT);
    let (plot, legend) = body.split_horizontally(SIZE.0 - LEGEND_WIDTH);
    let centre = |size: u32| i32::try_from(size / 2).unwrap_or(0);
    let centred = |font: TextStyle<'static>| {
        font.pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Center,
            plotters::style::text_anchor::VPos::Top,
        ))
    };
    header
        .draw(&Text::new(
            chart.title.clone(),
            (centre(SIZE.0), 10),
            centred(("sans-serif", 22).into_font().style(FontStyle::Bold).into()),
        ))
        .map_err(fail)?;
    header
        .draw(&Text::new(
            chart.subtitle.clone(),
            (centre(SIZE.0), 40),
            centred(("sans-serif", 14).into_font().color(&BLACK.mix(0.7))),
        ))
        .map_err(fail)?;

    let (x_range, y_range) = ranges(chart);
    let x_ticks = chart.x_scale.ticks(x_range.0, x_range.1);
    let y_ticks = chart.y_scale.ticks(y_range.0, y_range.1);
    let mut context = ChartBuilder::on(&plot)
        .margin(12)
        .x_label_area_size(52)
        .y_label_area_size(78)
        .build_cartesian_2d(
            Axis {
                range: x_range.0..x_range.1,
                ticks: x_ticks,
            },
            Axis {
                range: y_range.0..y_range.1,
                ticks: y_ticks,
            },
        )
        .map_err(fail)?;
    let x_format = |value: &f64| (chart.x_format)(chart.x_scale.inverse(*value));
    let y_format = |value: &f64| (chart.y_format)(chart.y_scale.inverse(*value));
    context
        .configure_mesh()
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(fail)?;

    let guide_style = ShapeStyle::from(&BLACK.mix(0.45)).stroke_width(1);
    let label_font = |h, v| {
        ("sans-serif", 13)
            .into_font()
            .color(&BLACK.mix(0.7))
            .pos(plotters::style::text_anchor::Pos::new(h, v))
    };
    for guide in &chart.guides {
        let y = chart.y_scale.forward(guide.y);
        if !(y_range.0..=y_range.1).contains(&y) {
            continue;
        }
        context
            .draw_series(DashedLineSeries::new(
                [(x_range.0, y), (x_range.1, y)],
                4,
                4,
                guide_style,
            ))
            .map_err(fail)?;
        // Labelled at the left: the charts with guides (time by memory) rise to the right.
        let label_x = x_range.0 + (x_range.1 - x_range.0) * 0.01;
        context
            .draw_series(std::iter::once(Text::new(
                guide.label.clone(),
                (label_x, y),
                label_font(
                    plotters::style::text_anchor::HPos::Left,
                    plotters::style::text_anchor::VPos::Bottom,
                ),
            )))
            .map_err(fail)?;
    }
    for mark in &chart.x_marks {
        let x = chart.x_scale.forward(mark.x);
        if !(x_range.0..=x_range.1).contains(&x) {
            continue;
        }
        context
            .draw_series(DashedLineSeries::new(
                [(x, y_range.0), (x, y_range.1)],
                4,
                4,
                guide_style,
            ))
            .map_err(fail)?;
        let label_y = y_range.0 + (y_range.1 - y_range.0) * 0.02;
        context
            .draw_series(std::iter::once(Text::new(
                format!(" {}", mark.label),
                (x, label_y),
                label_font(
                    plotters::style::text_anchor::HPos::Left,
                    plotters::style::text_anchor::VPos::Bottom,
                ),
            )))
            .map_err(fail)?;
    }

    for series in &chart.series {
        let color = PALETTE[series.color % PALETTE.len()];
        let style = ShapeStyle::from(&color).stroke_width(2);
        let points: Vec<(f64, f64)> = series
            .points
            .iter()
            .map(|point| {
                (
                    chart.x_scale.forward(point.x),
                    chart.y_scale.forward(point.y),
                )
            })
            .collect();
        if series.line {
            if series.dashed {
                context
                    .draw_series(DashedLineSeries::new(points.clone(), 8, 5, style))
                    .map_err(fail)?;
            } else {
                context
                    .draw_series(LineSeries::new(points.clone(), style))
                    .map_err(fail)?;
            }
        }
        // The spread as a vertical bar through each point.
        context
            .draw_series(
                series
                    .points
                    .iter()
                    .filter(|p| p.high > p.low)
                    .map(|point| {
                        let x = chart.x_scale.forward(point.x);
                        PathElement::new(
                            vec![
                                (x, chart.y_scale.forward(point.low)),
                                (x, chart.y_scale.forward(point.high)),
                            ],
                            ShapeStyle::from(&color).stroke_width(2),
                        )
                    }),
            )
            .map_err(fail)?;
        draw_markers(context.plotting_area(), series.marker, &points, color).map_err(fail)?;
    }
    draw_legend(&legend, chart).map_err(fail)?;
    root.present().map_err(fail)?;
    Ok(())
}

/// Draws `marker` at each of `points` (any coordinate system: data or pixels).
fn draw_markers<DB, CT>(
    area: &DrawingArea<DB, CT>,
    marker: Marker,
    points: &[CT::From],
    color: RGBColor,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB: DrawingBackend,
    CT: plotters::coord::CoordTranslate,
    CT::From: Clone + 'static,
{
    let filled = color.filled();
    for point in points {
        let at = EmptyElement::at(point.clone());
        match marker {
            Marker::Circle => area.draw(&(at + Circle::new((0, 0), 4, filled)))?,
            Marker::Square => area.draw(&(at + Rectangle::new([(-4, -4), (4, 4)], filled)))?,
            Marker::Triangle => {
                area.draw(&(at + Polygon::new(vec![(0, -5), (5, 4), (-5, 4)], filled)))?
            }
            Marker::Diamond => {
                area.draw(&(at + Polygon::new(vec![(0, -6), (6, 0), (0, 6), (-6, 0)], filled)))?
            }
            Marker::Ring => {
                area.draw(&(at + Circle::new((0, 0), 7, ShapeStyle::from(&color).stroke_width(3))))?
            }
        }
    }
    Ok(())
}

/// The legend, in its own panel right of the plot: a sample of each series' line and marker,
/// then its name.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let mut y = 24;
    for series in chart.series.iter().filter(|s| !s.name.is_empty()) {
        let color = PALETTE[series.color % PALETTE.len()];
        let style = ShapeStyle::from(&color).stroke_width(2);
        if series.line {
            if series.dashed {
                for start in [4, 17, 30] {
                    area.draw(&PathElement::new(vec![(start, y), (start + 8, y)], style))?;
                }
            } else {
                area.draw(&PathElement::new(vec![(4, y), (38, y)], style))?;
            }
        }
        draw_markers(area, series.marker, &[(21, y)], color)?;
        // A name may run over several lines, each below the last.
        for line in series.name.lines() {
            area.draw(&Text::new(
                line.to_owned(),
                (46, y),
                ("sans-serif", 13).into_font().color(&BLACK).pos(
                    plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Left,
                        plotters::style::text_anchor::VPos::Center,
                    ),
                ),
            ))?;
            y += 17;
        }
        y += 5;
    }
    Ok(())
}

/// A linear axis over plotted values with ticks where [`Scale::ticks`] puts them, so that
/// logarithmic axes get labels at round original values (plotters' own log axis and key-point
/// wrapper do not combine with custom label formatting of `f64`).
struct Axis {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if span == 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let fraction = (value - self.range.start) / span;
        limit.0 + (f64::from(limit.1 - limit.0) * fraction).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// Plotted ranges covering every point, spread and guide, with a margin.
fn ranges(chart: &Chart) -> ((f64, f64), (f64, f64)) {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for point in chart.series.iter().flat_map(|series| &series.points) {
        xs.push(chart.x_scale.forward(point.x));
        for y in [point.y, point.low, point.high] {
            ys.push(chart.y_scale.forward(y));
        }
    }
    let span = |values: &[f64], linear_from_zero: bool| {
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let (mut low, mut high) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        if !low.is_finite() {
            return (0.0, 1.0);
        }
        if linear_from_zero && low > 0.0 {
            low = 0.0;
        }
        let pad = ((high - low) * 0.06).max(if linear_from_zero { 0.1 } else { 0.15 });
        high += pad;
        if !(linear_from_zero && low == 0.0) {
            low -= pad;
        }
        (low, high)
    };
    let x = span(&xs, false);
    let mut y = span(&ys, chart.y_scale == Scale::Linear);
    // Guides just above the data stay visible; ones far outside are left out.
    for guide in &chart.guides {
        let g = chart.y_scale.forward(guide.y);
        if g > y.1 && g < y.1 + (y.1 - y.0) * 0.5 {
            y.1 = g + (y.1 - y.0) * 0.05;
        }
    }
    (x, y)
}

/// `65536` → `64 KiB`.
pub fn format_bytes_axis(bytes: f64) -> String {
    let bytes = bytes.round();
    for (unit, size) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        let size = size as f64;
        if bytes >= size {
            return format!("{} {unit}", trim_number(bytes / size));
        }
    }
    format!("{bytes} B")
}

/// Mebibytes as bytes, e.g. `1024` → `1 GiB`.
pub fn format_mib_axis(mib: f64) -> String {
    format_bytes_axis(mib * f64::from(1u32 << 20))
}

/// Seconds as `10 ms` or `1.5 s`.
pub fn format_seconds_axis(seconds: f64) -> String {
    if seconds < 1.0 {
        format!("{} ms", trim_number(seconds * 1000.0))
    } else {
        format!("{} s", trim_number(seconds))
    }
}

/// A plain number with at most three significant digits.
pub fn format_number_axis(value: f64) -> String {
    trim_number(value)
}

fn trim_number(value: f64) -> String {
    let digits = if value.abs() >= 100.0 {
        0
    } else if value.abs() >= 10.0 {
        1
    } else if value.abs() >= 1.0 {
        2
    } else {
        3
    };
    let text = format!("{value:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_chart() -> Chart {
        Chart {
            title: "Throughput".into(),
            x_label: "message size".into(),
            y_label: "GB/s".into(),
            x_scale: Scale::Log2,
            y_scale: Scale::Log10,
            x_format: format_bytes_axis,
            y_format: format_number_axis,
            series: vec![
                Series {
                    name: "native".into(),
                    color: 0,
                    line: true,
                    points: vec![
                        Point {
                            x: 64.0,
                            y: 0.5,
                            low: 0.45,
                            high: 0.55,
                        },
                        Point::exact(16384.0, 3.0),
                    ],
                    ..Series::default()
                },
                Series {
                    name: "reference".into(),
                    color: 1,
                    marker: Marker::Square,
                    points: vec![Point::exact(64.0, 0.2), Point::exact(16384.0, 5.5)],
                    ..Series::default()
                },
            ],
            guides: vec![Guide {
                y: 1.0,
                label: "1 GB/s".into(),
            }],
            x_marks: vec![XMark {
                x: 16384.0,
                label: "chunk".into(),
            }],
            subtitle: "test-host, run 2026-11-30T07:45:12Z".into(),
        }
    }

    #[test]
    fn renders_valid_svg_and_png() {
        let folder = std::env::temp_dir().join(format!("xtask-charts-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let paths = render(&sample_chart(), &folder.join("chart")).unwrap();
        assert_eq!(paths.len(), 2);

        let svg = std::fs::read_to_string(&paths[0]).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(
            svg.contains("Throughput") && svg.contains("16 KiB"),
            "text is in the SVG"
        );

        let png = std::fs::read(&paths[1]).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((width, height), SIZE);
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn png_text_is_drawn() {
        // The same chart with and without a title differs: the embedded font renders glyphs.
        let folder = std::env::temp_dir().join(format!("xtask-glyphs-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let titled = render(&sample_chart(), &folder.join("titled")).unwrap();
        let mut untitled_chart = sample_chart();
        untitled_chart.title = String::new();
        let untitled = render(&untitled_chart, &folder.join("untitled")).unwrap();
        assert_ne!(
            std::fs::read(&titled[1]).unwrap(),
            std::fs::read(&untitled[1]).unwrap()
        );
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[test]
    fn ticks_fall_on_round_values() {
        assert_eq!(Scale::Log2.ticks(5.7, 10.2), vec![6.0, 7.0, 8.0, 9.0, 10.0]);
        let decades: Vec<f64> = Scale::Log10
            .ticks(-1.1, 0.5)
            .into_iter()
            .map(|tick| (Scale::Log10.inverse(tick) * 1000.0).round() / 1000.0)
            .collect();
        assert_eq!(decades, vec![0.1, 0.2, 0.5, 1.0, 2.0]);
        assert_eq!(Scale::Linear.ticks(0.0, 2.3), vec![0.0, 0.5, 1.0, 1.5, 2.0]);
        assert_eq!(Scale::Integer.ticks(0.9, 2.1), vec![1.0, 2.0]);
        assert_eq!(
            Scale::Integer.ticks(0.5, 64.5),
            vec![1.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
        );
    }

    #[test]
    fn axis_labels_read_well() {
        assert_eq!(format_bytes_axis(64.0), "64 B");
        assert_eq!(format_bytes_axis(16384.0), "16 KiB");
        assert_eq!(format_mib_axis(1024.0), "1 GiB");
        assert_eq!(format_seconds_axis(0.25), "250 ms");
        assert_eq!(format_seconds_axis(3.0), "3 s");
        assert_eq!(format_number_axis(2.50), "2.5");
        assert_eq!(format_number_axis(0.0123), "0.012");
    }
}
