//! One file per subcommand: each wires the layers below together.

pub mod checks;
pub mod scan;
