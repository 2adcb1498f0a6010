//! The published JSON Schemas (`docs/schema/*.schema.json`): they are what the types generate
//! (`UPDATE_SCHEMA=1 cargo test --test it schema` writes them), and every command's real output
//! validates against its schema.
//!
//! The validator is a small one for the subset schemars emits (`type`, `properties`, `required`,
//! `items`, `$ref`, `$defs`, `enum`, `const`, `oneOf`/`anyOf`, `minimum`, `format`), strict in
//! two ways the published schema is not: an object may hold no field its schema does not name
//! (so a field added to the output but not to the types fails here), and a keyword it does not
//! know fails the test (so the subset cannot silently grow).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema")
}

#[test]
fn committed_schemas_match_the_types() {
    let update = std::env::var_os("UPDATE_SCHEMA").is_some_and(|v| !v.is_empty());
    let mut wrong = Vec::new();
    for (name, schema) in comfydoctor::output::schemas() {
        let path = schema_dir().join(format!("{name}.schema.json"));
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if update {
            std::fs::create_dir_all(schema_dir()).unwrap();
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != text {
            wrong.push(path.display().to_string());
        }
    }
    assert!(
        wrong.is_empty(),
        "the committed schema disagrees with the types: {wrong:?}; regenerate with `UPDATE_SCHEMA=1 cargo test --test it schema` and commit"
    );
}

/// Errors of `value` against `schema` (resolved in `root`), each with its JSON path.
fn validate(root: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(obj) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errors.push(format!("{at}: nothing is allowed here"));
        }
        return;
    };
    for key in obj.keys() {
        let known = [
            "$schema",
            "$ref",
            "$defs",
            "title",
            "description",
            "type",
            "properties",
            "required",
            "items",
            "enum",
            "const",
            "oneOf",
            "anyOf",
            "minimum",
            "format",
            "default",
            "additionalProperties",
        ];
        assert!(known.contains(&key.as_str()), "the test's validator does not know the keyword `{key}` (at {at})");
    }
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/$defs/").unwrap_or_else(|| panic!("unsupported $ref {r}"));
        let target = &root["$defs"][name];
        assert!(!target.is_null(), "$ref {r} names no definition");
        validate(root, target, value, at, errors);
    }
    if let Some(t) = obj.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => panic!("type {t}"),
        };
        let is = |ty: &str| match ty {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            other => panic!("type {other}"),
        };
        if !types.iter().any(|t| is(t)) {
            errors.push(format!("{at}: {value} is not of type {t}"));
            return;
        }
    }
    if let Some(e) = obj.get("enum").and_then(Value::as_array)
        && !e.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {}", Value::Array(e.clone())));
    }
    if let Some(c) = obj.get("const")
        && c != value
    {
        errors.push(format!("{at}: {value} is not {c}"));
    }
    if let Some(min) = obj.get("minimum").and_then(Value::as_f64)
        && value.as_f64().is_some_and(|v| v < min)
    {
        errors.push(format!("{at}: {value} < {min}"));
    }
    for (kw, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(alts) = obj.get(kw).and_then(Value::as_array) {
            let ok = alts
                .iter()
                .filter(|s| {
                    let mut e = Vec::new();
                    validate(root, s, value, at, &mut e);
                    e.is_empty()
                })
                .count();
            if ok == 0 || (exactly_one && ok > 1) {
                errors.push(format!("{at}: {value} matches {ok} of the {kw} alternatives"));
            }
        }
    }
    if let (Some(items), Some(arr)) = (obj.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            validate(root, items, v, &format!("{at}[{i}]"), errors);
        }
    }
    if let Some(map) = value.as_object()
        && (obj.contains_key("properties") || obj.get("type").and_then(Value::as_str) == Some("object"))
    {
        let props = obj.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        for req in obj.get("required").and_then(Value::as_array).into_iter().flatten() {
            let req = req.as_str().unwrap();
            if !map.contains_key(req) {
                errors.push(format!("{at}: `{req}` is missing"));
            }
        }
        for (k, v) in map {
            match props.get(k) {
                Some(s) => validate(root, s, v, &format!("{at}.{k}"), errors),
                None if obj.get("additionalProperties").is_some_and(|a| a != &Value::Bool(false)) => {
                    validate(root, &obj["additionalProperties"], v, &format!("{at}.{k}"), errors)
                }
                None => errors.push(format!("{at}: `{k}` is not in the schema")),
            }
        }
    }
}

fn schema(name: &str) -> Value {
    let path = schema_dir().join(format!("{name}.schema.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

#[track_caller]
pub fn check(name: &str, out: &Out) -> Value {
    let doc: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: not one JSON document ({e}):\n{}\n{}", out.stdout, out.stderr));
    let root = schema(name);
    let mut errors = Vec::new();
    validate(&root, &root, &doc, "$", &mut errors);
    assert!(
        errors.is_empty(),
        "{name} output disagrees with docs/schema/{name}.schema.json:\n{}\n{}",
        errors.join("\n"),
        out.stdout
    );
    assert_eq!(doc["schema"], 1, "{name}");
    doc
}

#[test]
fn the_validator_catches_what_it_must() {
    let root = serde_json::json!({
        "type": "object", "required": ["a"],
        "properties": { "a": { "type": "integer", "minimum": 0 }, "b": { "$ref": "#/$defs/B" } },
        "$defs": { "B": { "type": "string", "enum": ["x", "y"] } }
    });
    let errs = |v: Value| {
        let mut e = Vec::new();
        validate(&root, &root, &v, "$", &mut e);
        e
    };
    assert!(errs(serde_json::json!({"a": 1, "b": "x"})).is_empty());
    for bad in [
        serde_json::json!({"b": "x"}),
        serde_json::json!({"a": -1}),
        serde_json::json!({"a": 1, "b": "z"}),
        serde_json::json!({"a": 1, "c": 0}),
        serde_json::json!({"a": "1"}),
    ] {
        assert!(!errs(bad.clone()).is_empty(), "{bad} passed");
    }
}

#[test]
#[cfg(unix)] // the demo workspace's links are git symlinks (a Windows checkout makes plain files)
fn every_command_json_validates_against_its_schema() {
    let demo = crate::formats::Demo::new();
    let go = |args: &[&str]| demo.run(args, None);

    let scan = check("scan", go(&["scan", "--format", "json", "demo"]).expect(1, "scan"));
    assert_eq!(scan["command"], "scan");
    check("scan", go(&["scan", "--quiet", "--format", "json", "demo"]).expect(1, "scan --quiet"));

    let refused = go(&["fix", "--format", "json", "demo"]);
    refused.expect(2, "fix json without --yes");
    assert!(refused.stdout.is_empty() && refused.stderr.contains("--dry-run"), "{}", refused.stderr);
    let plan = check("fix", go(&["fix", "--dry-run", "--format", "json", "demo"]).expect(1, "fix --dry-run"));
    assert_eq!(plan["dry_run"], true);
    assert!(plan["installs"].as_array().unwrap().iter().all(|i| i["status"] == "planned"), "{plan}");
    assert!(plan["installs"][0]["steps"].as_array().is_some_and(|s| !s.is_empty()), "{plan}");
    let fixed = check("fix", go(&["fix", "--yes", "--format", "json", "demo"]).expect(0, "fix --yes"));
    let run_id = fixed["runs"][0]["run_id"].as_str().expect("a run ID").to_string();
    assert_eq!(fixed["report"]["summary"]["errors"], 0, "{fixed}");
    assert!(fixed["installs"].as_array().unwrap().iter().all(|i| i["status"] == "applied"), "{fixed}");
    // Healthy now: --quiet still prints the document, for scan and for fix.
    let healthy = check("scan", go(&["scan", "--quiet", "--format", "json", "demo"]).expect(0, "healthy quiet"));
    assert_eq!(healthy["summary"]["warnings"], 0);
    check("fix", go(&["fix", "--yes", "--quiet", "--format", "json", "demo"]).expect(0, "healthy quiet fix"));

    let list = check("undo-list", go(&["undo", "--list", "--format", "json", "demo"]).expect(0, "undo --list"));
    assert_eq!(list["runs"][0]["run_id"], run_id.as_str());
    go(&["undo", "--format", "json", "demo"]).expect(2, "undo json without --yes");
    let dry = check("undo", go(&["undo", "--dry-run", "--format", "json", "demo"]).expect(0, "undo --dry-run"));
    assert!(dry["undone"].as_array().unwrap().is_empty() && !dry["steps"].as_array().unwrap().is_empty());
    let undone = check("undo", go(&["undo", "--yes", "--format", "json", "demo"]).expect(0, "undo --yes"));
    assert_eq!(undone["undone"][0]["run_id"], run_id.as_str());

    let checks = check("checks", go(&["checks", "--format", "json"]).expect(0, "checks"));
    assert_eq!(checks["checks"].as_array().unwrap().len(), ALL_CHECK_IDS.len());
    let explain = check("explain", go(&["explain", "link-missing", "--format", "json"]).expect(0, "explain"));
    assert_eq!(explain["id"], "link-missing");
}
