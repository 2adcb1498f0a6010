//! `comfydoctor checks` and `comfydoctor explain ID`.

use crate::checks;
use crate::error::{Error, Result};

pub fn list() -> Result<i32> {
    let width = checks::ALL.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for c in checks::ALL {
        println!("{:width$}  {}", c.id, c.summary);
    }
    Ok(0)
}

pub fn explain(id: &str) -> Result<i32> {
    let check = checks::find(id).ok_or_else(|| Error::UnknownCheck { id: id.to_string() })?;
    println!("{}: {}\n\n{}", check.id, check.summary, check.explain);
    Ok(0)
}
