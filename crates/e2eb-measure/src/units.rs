//! Sizes as people write them: parsing `512MiB`, showing `64 MiB`.

use std::fmt;

/// `bytes` in the largest binary unit that keeps it whole, e.g. `64 MiB`: the units the e2eb
/// library's messages about KDF memory use.
pub fn format_bytes(bytes: u128) -> String {
    e2eb::KdfParameter::Memory.display_value(bytes).to_string()
}

/// Parses a size written like `512MiB`, `1GiB`, `64 KiB`, `1.5GiB` or a plain number of bytes.
pub fn parse_size(text: &str) -> Result<u64, ParseSizeError> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => {
            return Err(ParseSizeError::UnknownUnit {
                unit: other.to_string(),
                text: text.to_string(),
            });
        }
    };
    let value: f64 = number.parse().map_err(|_| ParseSizeError::NotANumber {
        text: text.to_string(),
    })?;
    let bytes = value * multiplier as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes >= u64::MAX as f64 {
        return Err(ParseSizeError::OutOfRange {
            text: text.to_string(),
        });
    }
    Ok(bytes as u64)
}

/// Why [`parse_size`] refused a size.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseSizeError {
    /// The unit after the number is none of bytes, KiB, MiB, GiB, TiB (or their short forms).
    UnknownUnit {
        /// The unit as written, lowercased.
        unit: String,
        /// The whole size as written.
        text: String,
    },
    /// No number comes before the unit.
    NotANumber {
        /// The whole size as written.
        text: String,
    },
    /// The size is negative or does not fit in 64 bits.
    OutOfRange {
        /// The whole size as written.
        text: String,
    },
}

impl fmt::Display for ParseSizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseSizeError::UnknownUnit { unit, text } => write!(
                f,
                "unknown size unit {unit:?} in {text:?}; use KiB, MiB, GiB or TiB"
            ),
            ParseSizeError::NotANumber { text } => write!(f, "{text:?} is not a size"),
            ParseSizeError::OutOfRange { text } => write!(f, "{text:?} is out of range"),
        }
    }
}

impl std::error::Error for ParseSizeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("1.5 GiB"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(
            parse_size("12 parsecs"),
            Err(ParseSizeError::UnknownUnit {
                unit: "parsecs".into(),
                text: "12 parsecs".into()
            })
        );
        assert_eq!(
            parse_size("GiB"),
            Err(ParseSizeError::NotANumber { text: "GiB".into() })
        );
        assert_eq!(
            parse_size("1e30").unwrap_err().to_string(),
            "unknown size unit \"e30\" in \"1e30\"; use KiB, MiB, GiB or TiB"
        );
        assert_eq!(
            parse_size("99999999999 TiB").unwrap_err().to_string(),
            "\"99999999999 TiB\" is out of range"
        );
    }

    #[test]
    fn bytes_show_in_the_largest_whole_unit() {
        assert_eq!(format_bytes(64 << 20), "64 MiB");
        assert_eq!(format_bytes(1536), "1536 bytes");
        assert_eq!(format_bytes(0), "0 bytes");
    }
}
