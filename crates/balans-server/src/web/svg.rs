//! Drawings as SVG: a balance scale that tilts toward the side that gave more, and
//! a timeline of net credit. Coordinates are computed here; amounts stay exact
//! until they become pixels.

use balans_core::Moment;
use balans_store::ledger::NetSum;
use maud::{Markup, html};

use super::i18n::{Lang, T};
use super::views::{points_number, points_text};

/// The largest tilt of the beam, in degrees.
const TILT_MAX_DEGREES: f64 = 18.0;

/// A scale with what a party gave on the left and what it received on the right;
/// the heavier side sinks.
pub fn scale(lang: Lang, given: NetSum, received: NetSum) -> Markup {
    let t = |text: T| text.get(lang);
    let (g, r) = (given.0.max(0) as f64, received.0.max(0) as f64);
    let tilt = if g + r > 0.0 {
        // Positive turns clockwise, so the right side sinks when it is heavier.
        (r - g) / (g + r) * TILT_MAX_DEGREES
    } else {
        0.0
    };
    let (cx, cy, half) = (160.0, 60.0, 110.0);
    let radians = tilt.to_radians();
    let (dx, dy) = (half * radians.cos(), half * radians.sin());
    let (left, right) = ((cx - dx, cy - dy), (cx + dx, cy + dy));
    let description = T::ScaleDescription
        .get(lang)
        .replace("{given}", &points_text(lang, given.0))
        .replace("{received}", &points_text(lang, received.0));
    let pan = |(x, y): (f64, f64), label: &str, amount: String| {
        html! {
            line x1=(fmt(x)) y1=(fmt(y)) x2=(fmt(x - 30.0)) y2=(fmt(y + 50.0)) class="string" {}
            line x1=(fmt(x)) y1=(fmt(y)) x2=(fmt(x + 30.0)) y2=(fmt(y + 50.0)) class="string" {}
            path d=(format!("M{} {} Q{} {} {} {} Z", fmt(x - 40.0), fmt(y + 50.0), fmt(x), fmt(y + 72.0), fmt(x + 40.0), fmt(y + 50.0))) class="pan" {}
            text x=(fmt(x)) y=(fmt(y + 92.0)) text-anchor="middle" class="label" { (label) }
            text x=(fmt(x)) y=(fmt(y + 108.0)) text-anchor="middle" class="amount" { (amount) }
        }
    };
    html! {
        svg.scale viewBox="0 0 320 250" role="img" aria-labelledby="scale-title" {
            title #scale-title { (description) }
            path d="M150 235 L160 60 L170 235 Z" class="stand" {}
            line x1=(fmt(left.0)) y1=(fmt(left.1)) x2=(fmt(right.0)) y2=(fmt(right.1)) class="beam" {}
            circle cx=(fmt(cx)) cy=(fmt(cy)) r="6" class="pivot" {}
            (pan(left, t(T::GaveColumn), format!("◆ {}", points_number(lang, given.0))))
            (pan(right, t(T::ReceivedColumn), format!("◆ {}", points_number(lang, received.0))))
        }
    }
}

fn fmt(value: f64) -> String {
    format!("{value:.1}")
}

/// Round values between `low` and `high` (hundredths) for the timeline's
/// gridlines: a step of 1, 2 or 5 times a power of ten, at least one point, so
/// that four or five lines span the range. (Floats: this is drawing, not the
/// ledger.)
fn gridlines(low: f64, high: f64) -> Vec<i128> {
    let range = (high - low).max(100.0);
    let magnitude = 10f64.powf((range / 4.0).log10().floor()).max(100.0);
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|step| range / step <= 5.0)
        .unwrap_or(magnitude * 10.0);
    let mut lines = Vec::new();
    let mut value = (low / step).ceil() * step;
    while value <= high + 0.5 {
        lines.push(value.round() as i128);
        value += step;
    }
    lines
}

/// The net credit (given minus received) accumulated over time, with gridlines
/// and their values; it keeps its proportions as it scales, so its text is
/// never squashed.
pub fn timeline(lang: Lang, points: &[(Moment, String, NetSum)]) -> Markup {
    let t = |text: T| text.get(lang);
    if points.is_empty() {
        return html! { p.empty { (t(T::NoCreditYet)) } };
    }
    // Room on the left for the values, below for the dates.
    let (width, height, left, pad) = (640.0, 200.0, 64.0, 24.0);
    let first = points[0].0.millis() as f64;
    let last = points[points.len() - 1].0.millis() as f64;
    let span = (last - first).max(1.0);
    let low = points.iter().map(|p| p.2.0).min().unwrap_or(0).min(0) as f64;
    let high = points.iter().map(|p| p.2.0).max().unwrap_or(0).max(0) as f64;
    let lines = gridlines(low, high);
    let low = low.min(lines.first().copied().unwrap_or(0) as f64);
    let high = high.max(lines.last().copied().unwrap_or(0) as f64);
    let range = (high - low).max(1.0);
    let x = |ms: i64| left + (ms as f64 - first) / span * (width - left - pad);
    let y = |value: i128| pad + (high - value as f64) / range * (height - 2.0 * pad);
    let mut path = String::new();
    let mut previous = None;
    for (at, _, net) in points {
        let (px, py) = (x(at.millis()), y(net.0));
        match previous {
            None => path.push_str(&format!("M{} {}", fmt(px), fmt(py))),
            // Steps: the net holds until the next day with gestures.
            Some(prev_y) => path.push_str(&format!(
                " L{} {} L{} {}",
                fmt(px),
                fmt(prev_y),
                fmt(px),
                fmt(py)
            )),
        }
        previous = Some(py);
    }
    let (first_day, last_day) = (&points[0].1, &points[points.len() - 1].1);
    let end = points[points.len() - 1].2;
    let description = T::TimelineDescription
        .get(lang)
        .replace("{from}", first_day)
        .replace("{until}", last_day)
        .replace("{net}", &points_text(lang, end.0));
    html! {
        svg.timeline viewBox={ "0 0 " (width) " " (height) } role="img" aria-labelledby="timeline-title" {
            title #timeline-title { (description) }
            @for value in &lines {
                @let at = y(*value);
                line x1=(fmt(left)) y1=(fmt(at)) x2=(fmt(width - pad)) y2=(fmt(at))
                    class=(if *value == 0 { "zero" } else { "grid" }) {}
                text x=(fmt(left - 6.0)) y=(fmt(at + 4.0)) text-anchor="end" class="axis value" {
                    (points_number(lang, *value))
                }
            }
            path d=(path) class="net" {}
            text x=(fmt(left)) y=(fmt(height - 6.0)) class="axis" { (first_day) }
            text x=(fmt(width - pad)) y=(fmt(height - 6.0)) text-anchor="end" class="axis" { (last_day) }
        }
        p.caption { (description) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gridlines_fall_on_round_values_across_the_range() {
        assert_eq!(gridlines(0.0, 300.0), [0, 100, 200, 300]);
        assert_eq!(gridlines(-800.0, 1200.0), [-500, 0, 500, 1000]);
        assert_eq!(gridlines(0.0, 0.0), [0]);
        assert_eq!(gridlines(-250.0, 0.0), [-200, -100, 0]);
        let many = gridlines(0.0, 1_234_567.0);
        assert!((3..=6).contains(&many.len()), "{many:?}");
    }

    /// The values are written, the zero line among them, and the drawing keeps
    /// its proportions (no preserveAspectRatio="none", which squashed the text).
    #[test]
    fn a_timeline_has_values_and_keeps_its_proportions() {
        let points = [
            (Moment::from_millis(0), "2026-01-01".to_string(), NetSum(0)),
            (
                Moment::from_millis(86_400_000),
                "2026-01-02".to_string(),
                NetSum(350),
            ),
            (
                Moment::from_millis(172_800_000),
                "2026-01-03".to_string(),
                NetSum(-150),
            ),
        ];
        let svg = timeline(Lang::Nl, &points).into_string();
        assert!(!svg.contains("preserveAspectRatio"), "{svg}");
        assert!(
            svg.contains(">3<") && svg.contains(">−1<") && svg.contains(">2<"),
            "{svg}"
        );
        assert!(svg.contains("nu −1,50 punten verdienste"), "{svg}");
        assert!(svg.contains("class=\"zero\""), "{svg}");
    }
}
