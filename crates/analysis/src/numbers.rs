//! Numbers as people read them, in the printed tables and on the charts alike: `1,500`, `2.5 M`,
//! `1 bn`, thousands separators.

/// A tick label for a count: whole numbers only, the ticks between them unlabelled.
pub fn fmt_count(v: f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        format!("{v:.0}")
    } else {
        String::new()
    }
}

/// A number as a student reads it on an axis: `0.25`, `1,500`, `2.5 M`, `1 bn`.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    let sign = if v < 0.0 { "-" } else { "" };
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if a == 0.0 {
        "0".into()
    } else if a >= 1e9 {
        format!("{sign}{} bn", trim(format!("{:.2}", a / 1e9)))
    } else if a >= 1e6 {
        format!("{sign}{} M", trim(format!("{:.2}", a / 1e6)))
    } else if a >= 100.0 {
        format!("{sign}{}", thousands(a.round() as u64))
    } else if a >= 1.0 {
        format!("{sign}{}", trim(format!("{a:.2}")))
    } else if a >= 0.001 {
        format!("{sign}{}", trim(format!("{a:.4}")))
    } else {
        // Two significant digits, so that neighbouring ticks (1.5e-6, 2e-6) read apart.
        let text = format!("{a:.1e}").replace(".0e", "e");
        format!("{sign}{text}")
    }
}

/// A whole number with thousands separators: `2,064,429,364`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_students_expect() {
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(0.25), "0.25");
        assert_eq!(fmt_num(1500.0), "1,500");
        assert_eq!(fmt_num(25_000.0), "25,000");
        assert_eq!(fmt_num(2_500_000.0), "2.5 M");
        assert_eq!(fmt_num(1e9), "1 bn");
        assert_eq!(fmt_num(-3.5), "-3.5");
        assert_eq!(fmt_num(0.00001), "1e-5");
        assert_eq!(fmt_num(1.5e-6), "1.5e-6");
        assert_eq!(fmt_num(2e-6), "2e-6");
    }
}
