//! One file per subcommand: each wires the layers below together.

pub mod checks;
pub mod fix;
pub mod guard;
mod locking;
pub mod scan;
pub mod undo;
