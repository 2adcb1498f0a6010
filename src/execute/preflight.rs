//! Preflight.
use super::Stop;
use crate::plan::InstallPlan;

pub(super) fn check(_plan: &InstallPlan) -> Result<(), Stop> {
    Ok(())
}
