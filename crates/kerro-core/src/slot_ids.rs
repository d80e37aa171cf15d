//! Slot to subject id, as one flat table of fixed-width ids: what an
//! audience export reads, with no pointer to follow per subject. The audience
//! index counts in slots; this table turns its members back into ids.

use std::collections::HashMap;

use crate::ids::SubjectId;

/// The width of a subject id as the store makes them: `sub_` and a ULID.
const WIDTH: usize = SubjectId::PREFIX.len() + 26;

/// Subject ids by slot. An erased subject's slot is zeroed and stays empty
/// (slots are not reused).
#[derive(Debug, Default)]
pub struct SlotIds {
    /// `WIDTH` bytes per slot; a zero first byte marks an empty slot.
    bytes: Vec<u8>,
    /// Ids of another width (none the store makes), by slot.
    odd: HashMap<u32, SubjectId>,
}

impl SlotIds {
    pub fn new() -> SlotIds {
        SlotIds::default()
    }

    /// Puts `id` in the next slot and returns the slot.
    pub fn push(&mut self, id: &SubjectId) -> u32 {
        let slot = self.len();
        let raw = id.as_str().as_bytes();
        if raw.len() == WIDTH {
            self.bytes.extend_from_slice(raw);
        } else {
            self.bytes.resize(self.bytes.len() + WIDTH, 0);
            self.odd.insert(slot, id.clone());
        }
        slot
    }

    pub fn len(&self) -> u32 {
        (self.bytes.len() / WIDTH) as u32
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The id in `slot`, if the slot holds one.
    pub fn get(&self, slot: u32) -> Option<&str> {
        let at = slot as usize * WIDTH;
        let raw = self.bytes.get(at..at + WIDTH)?;
        if raw[0] != 0 {
            // Only whole ids of ASCII are ever copied in.
            return std::str::from_utf8(raw).ok();
        }
        self.odd.get(&slot).map(SubjectId::as_str)
    }

    /// The id in `slot` as a `SubjectId`.
    pub fn id(&self, slot: u32) -> Option<SubjectId> {
        if let Some(odd) = self.odd.get(&slot) {
            return Some(odd.clone());
        }
        let id = self.get(slot)?;
        Some(SubjectId::from_suffix(id.get(SubjectId::PREFIX.len()..)?))
    }

    /// Empties `slot` (erasure): its bytes are zeroed.
    pub fn clear(&mut self, slot: u32) {
        let at = slot as usize * WIDTH;
        if let Some(raw) = self.bytes.get_mut(at..at + WIDTH) {
            raw.fill(0);
        }
        self.odd.remove(&slot);
    }

    /// `write_line` for each of `slots`, with the table's bytes of the slots a
    /// few lines ahead asked of memory early: a sparse audience's ids lie far
    /// apart in a large table, and each one waits on memory otherwise.
    pub fn write_lines(&self, slots: &[u32], out: &mut Vec<u8>) {
        const AHEAD: usize = 16;
        out.reserve(slots.len() * (WIDTH + 10));
        for (i, slot) in slots.iter().enumerate() {
            if let Some(next) = slots.get(i + AHEAD) {
                self.prefetch(*next);
            }
            self.write_line(*slot, out);
        }
    }

    fn prefetch(&self, slot: u32) {
        #[cfg(target_arch = "x86_64")]
        if let Some(b) = self.bytes.get(slot as usize * WIDTH) {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            // SAFETY: SSE is part of every x86-64 processor, and a prefetch
            // only hints the cache; it reads nothing the program sees.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(b).cast()) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = slot;
    }

    /// Appends `{"id":"…"}` and a newline for `slot` to `out`, if it holds an id.
    /// Ids are `sub_` and letters and digits, so they need no escaping.
    pub fn write_line(&self, slot: u32, out: &mut Vec<u8>) {
        const HEAD: &[u8] = b"{\"id\":\"";
        const TAIL: &[u8] = b"\"}\n";
        let at = slot as usize * WIDTH;
        match self.bytes.get(at..at + WIDTH) {
            // One copy of a line built on the stack.
            Some(raw) if raw[0] != 0 => {
                let mut line = [0u8; HEAD.len() + WIDTH + TAIL.len()];
                line[..HEAD.len()].copy_from_slice(HEAD);
                line[HEAD.len()..HEAD.len() + WIDTH].copy_from_slice(raw);
                line[HEAD.len() + WIDTH..].copy_from_slice(TAIL);
                out.extend_from_slice(&line);
            }
            _ => {
                if let Some(odd) = self.odd.get(&slot) {
                    out.extend_from_slice(HEAD);
                    out.extend_from_slice(odd.as_str().as_bytes());
                    out.extend_from_slice(TAIL);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_back_by_slot_and_erased_ones_do_not() {
        let mut t = SlotIds::new();
        let a = SubjectId::from_suffix("01HZY3K6Q5W9X8V7T6S5R4P3N2");
        let odd = SubjectId::from_suffix("short");
        let b = SubjectId::from_suffix("01HZY3K6Q5W9X8V7T6S5R4P3N3");
        assert_eq!((t.push(&a), t.push(&odd), t.push(&b)), (0, 1, 2));
        assert_eq!(t.get(0), Some(a.as_str()));
        assert_eq!(t.get(1), Some(odd.as_str()));
        assert_eq!(t.get(2), Some(b.as_str()));
        assert_eq!(t.get(3), None);
        assert_eq!((t.id(1), t.id(2)), (Some(odd.clone()), Some(b.clone())));
        t.clear(0);
        t.clear(1);
        assert_eq!((t.get(0), t.get(1)), (None, None));
        assert_eq!(t.len(), 3);
        let mut out = Vec::new();
        t.write_lines(&[0, 1, 2, 3], &mut out);
        let line = format!("{{\"id\":\"{}\"}}\n", b.as_str());
        assert_eq!(out, line.as_bytes());
        let parsed: serde_json::Value = serde_json::from_slice(line.trim().as_bytes()).unwrap();
        assert_eq!(parsed["id"], b.as_str());
    }
}
