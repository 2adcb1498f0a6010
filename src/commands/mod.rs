//! One file per subcommand: each wires the layers below together.

pub mod backups;
pub mod checks;
pub mod complete;
pub mod detach;
pub mod fix;
pub mod guard;
mod lifecycle;
mod locking;
pub mod man;
pub mod scan;
pub mod undo;
