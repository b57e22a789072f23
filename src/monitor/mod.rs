//! Convergence monitoring (work in progress in this commit series).
use crate::lab::LabError;
pub async fn wait_converged(_lab: &str, _timeout: Option<f64>) -> Result<(), LabError> {
    Err(LabError::Runtime("--wait is not implemented yet".into()))
}
