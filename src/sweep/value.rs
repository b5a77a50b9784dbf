//! A parameter's value at one point of a sweep, as drawn by a design or read from a points file, and
//! as handed to the scenario: the number bit for bit, never printed and parsed back.

/// A parameter's value at one point.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Float(f64),
    Int(i64),
    /// A non-numeric TOML value (string, boolean), kept as written; boxed so that a point of numbers,
    /// the common case, costs 16 bytes a value (a design file may hold millions of points).
    Other(Box<toml::Value>),
}

impl Value {
    /// The value as the scenario is given it: the number as drawn, bit for bit.
    pub fn toml(&self) -> toml::Value {
        match self {
            Value::Float(x) => toml::Value::Float(*x),
            Value::Int(i) => toml::Value::Integer(*i),
            Value::Other(v) => (**v).clone(),
        }
    }

    /// The value as TOML text (the right-hand side of a `--set KEY=VALUE`), as the dataset's text
    /// columns and messages show it.
    pub fn to_toml(&self) -> String {
        match self {
            // Debug keeps a decimal point or exponent, so a float stays a TOML float.
            Value::Float(x) => format!("{x:?}"),
            Value::Int(i) => i.to_string(),
            Value::Other(v) => v.to_string(),
        }
    }

    /// A non-numeric value.
    pub fn other(v: toml::Value) -> Value {
        Value::Other(Box::new(v))
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(x) => Some(*x),
            Value::Int(i) => Some(*i as f64),
            Value::Other(_) => None,
        }
    }
}
