pub struct DemoSeed {
    pub subjects: Vec<kerro_core::SubjectId>,
    pub sample_subject: kerro_core::SubjectId,
}
pub fn seed(
    _s: &kerro_store::Store,
    _n: chrono::DateTime<chrono::Utc>,
    _k: usize,
) -> anyhow::Result<DemoSeed> {
    anyhow::bail!("stub")
}
