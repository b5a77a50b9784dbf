//! The scenarios shipped inside the binary, so that `fracture run` works from any directory.

/// A scenario file embedded at build time.
#[derive(Debug)]
pub struct ShippedScenario {
    /// The name `run` and `extends` accept (the file name without `.toml`).
    pub name: &'static str,
    pub file: &'static str,
    pub text: &'static str,
}

macro_rules! shipped {
    ($($name:literal),+ $(,)?) => {
        /// Every shipped scenario, the baseline first.
        pub static SHIPPED: &[ShippedScenario] = &[
            $(ShippedScenario {
                name: $name,
                file: concat!($name, ".toml"),
                text: include_str!(concat!("../../../../scenarios/", $name, ".toml")),
            },)+
        ];
    };
}

shipped![
    "baseline",
    "tightened-controls",
    "weights-and-kyc",
    "alibaba-ban",
    "secondary-sanctions",
    "reciprocity",
    "indigenous-push",
    "forensic-false-positives",
    "full-decoupling",
    "hindcast-2022",
    "hindcast-2022-no-controls",
];

/// Finds a shipped scenario by name, with or without `.toml`.
pub fn shipped(name: &str) -> Option<&'static ShippedScenario> {
    let name = name.strip_suffix(".toml").unwrap_or(name);
    SHIPPED.iter().find(|s| s.name == name)
}
