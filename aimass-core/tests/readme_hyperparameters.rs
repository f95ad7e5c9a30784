//! The README's table of hyperparameters is generated from the specs (`json_options::Param`) of
//! the registered algorithms; this test fails when the two differ. Regenerate with
//! `AIMASS_WRITE_README=1 cargo test -p aimass-core --test readme_hyperparameters`.

use aimass_core::algorithms::REGISTRY;

const BEGIN: &str = "<!-- hyperparameters:begin";
const END: &str = "<!-- hyperparameters:end -->";

fn table() -> String {
    let mut t = String::from(
        "| algorithm | hyperparameter | type | default | range | purpose |\n|---|---|---|---|---|---|\n",
    );
    for r in REGISTRY.iter().filter(|r| !r.params.is_empty()) {
        for p in r.params {
            t += &format!(
                "| `{}` | `{}` | {} | {} | {} | {} |\n",
                r.name,
                p.name,
                p.type_name(),
                p.default_value(),
                p.range(),
                p.doc
            );
        }
    }
    t
}

#[test]
fn readme_hyperparameter_table_is_the_specs() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let begin = readme.find(BEGIN).expect("README has the hyperparameters block");
    let body_start = begin + readme[begin..].find('\n').unwrap() + 1;
    let end = readme.find(END).expect("README has the end of the hyperparameters block");
    let want = table();
    if std::env::var_os("AIMASS_WRITE_README").is_some() {
        let updated = format!("{}{}{}", &readme[..body_start], want, &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(&readme[body_start..end], want, "README's hyperparameter table differs from the specs");
}
