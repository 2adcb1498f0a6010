//! One file per subcommand: each wires the layers below together.

pub mod checks;
pub mod complete;
pub mod fix;
mod locking;
pub mod man;
pub mod scan;
pub mod undo;
