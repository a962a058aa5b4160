//! Drawings as SVG: a balance scale that tilts toward the side that gave more, and
//! a timeline of net credit. Coordinates are computed here; amounts stay exact
//! until they become pixels.

use balans_core::Moment;
use balans_store::ledger::NetSum;
use maud::{Markup, html};

use super::i18n::{Lang, T};
use super::views::number;

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
        .replace("{given}", &number(lang, given))
        .replace("{received}", &number(lang, received));
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
            (pan(left, t(T::Gave), number(lang, given)))
            (pan(right, t(T::Received), number(lang, received)))
        }
    }
}

fn fmt(value: f64) -> String {
    format!("{value:.1}")
}

/// The net credit (given minus received) accumulated over time.
pub fn timeline(lang: Lang, points: &[(Moment, String, NetSum)]) -> Markup {
    let t = |text: T| text.get(lang);
    if points.is_empty() {
        return html! { p.empty { (t(T::NoCreditYet)) } };
    }
    let (width, height, pad) = (640.0, 180.0, 28.0);
    let first = points[0].0.millis() as f64;
    let last = points[points.len() - 1].0.millis() as f64;
    let span = (last - first).max(1.0);
    let low = points.iter().map(|p| p.2.0).min().unwrap_or(0).min(0) as f64;
    let high = points.iter().map(|p| p.2.0).max().unwrap_or(0).max(0) as f64;
    let range = (high - low).max(1.0);
    let x = |ms: i64| pad + (ms as f64 - first) / span * (width - 2.0 * pad);
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
    let zero = y(0);
    let (first_day, last_day) = (&points[0].1, &points[points.len() - 1].1);
    let end = points[points.len() - 1].2;
    let description = T::TimelineDescription
        .get(lang)
        .replace("{from}", first_day)
        .replace("{until}", last_day)
        .replace("{net}", &number(lang, end));
    html! {
        svg.timeline viewBox={ "0 0 " (width) " " (height) } role="img" aria-labelledby="timeline-title" preserveAspectRatio="none" {
            title #timeline-title { (description) }
            line x1=(fmt(pad)) y1=(fmt(zero)) x2=(fmt(width - pad)) y2=(fmt(zero)) class="zero" {}
            path d=(path) class="net" {}
            text x=(fmt(pad)) y=(fmt(height - 6.0)) class="axis" { (first_day) }
            text x=(fmt(width - pad)) y=(fmt(height - 6.0)) text-anchor="end" class="axis" { (last_day) }
            text x="4" y=(fmt(zero - 4.0)) class="axis" { "0" }
        }
        p.caption { (description) }
    }
}
