//! The model document and the README stay in step with the code.

use fracture::parameters::PARAMETER_DOCS;

fn read(file: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap()
}

#[test]
fn the_model_document_lists_every_parameter_with_its_default() {
    let odd = read("ODD.md");
    for p in PARAMETER_DOCS {
        let row = odd
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", p.name)))
            .unwrap_or_else(|| panic!("ODD.md has no row for parameter `{}`", p.name));
        let default = p.default.replace('_', " ").replace(".0", "");
        let documented = row
            .split('|')
            .nth(2)
            .unwrap()
            .trim()
            .replace(".0", "")
            .replace('\u{202f}', " ");
        let number = |s: &str| s.replace(' ', "").parse::<f64>().ok();
        assert_eq!(
            number(&documented),
            number(&default),
            "default of `{}` in ODD.md",
            p.name
        );
    }
}

#[test]
fn ci_runs_the_readme_test_command() {
    let readme = read("README.md");
    let ci = read(".ci/run");
    assert!(readme.contains("cargo test"));
    assert!(ci.lines().any(|l| l.trim().starts_with("cargo test")));
}

#[test]
fn the_readme_lists_every_limit() {
    let readme = read("README.md");
    for limit in fracture::scenario::limits::LIMITS {
        assert!(
            readme.contains(&format!("`{}`", limit.pattern)),
            "README.md's table of limits lacks `{}`",
            limit.pattern
        );
    }
}
