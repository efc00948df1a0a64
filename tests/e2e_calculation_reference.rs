//! (placeholder: filled in by the calculation work)
