//! The random sources of the vault protocol vectors: a seeded stream that stands in for the
//! system's random source when a vector is generated, and a script that hands out the published
//! named inputs, in the order the reference implementation draws them, when it is verified.
//!
//! Both log every draw, so that the generator can name each one and the verifier can tell when
//! the implementation's draws no longer match the script (another count, another length).

use std::collections::VecDeque;

use opaque_ke::rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256, Sha512};

/// A vector's seed: SHA-256("e2eb vault vectors/" || label).
pub fn seed_for(label: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"e2eb vault vectors/")
        .chain_update(label.as_bytes())
        .finalize()
        .into()
}

/// Where the bytes come from.
#[derive(Debug)]
enum Source {
    /// SHA-512(seed || counter as 8 bytes big-endian), block after block, read in order.
    Seeded {
        seed: [u8; 32],
        counter: u64,
        block: [u8; 64],
        used: usize,
    },
    /// The named inputs, one per draw.
    Script(VecDeque<(&'static str, Vec<u8>)>),
}

/// A deterministic `RngCore` that records what it hands out.
#[derive(Debug)]
pub struct FixedRng {
    source: Source,
    draws: Vec<Vec<u8>>,
    fault: Option<String>,
}

impl FixedRng {
    /// The seeded stream of `seed`.
    pub fn seeded(seed: [u8; 32]) -> FixedRng {
        FixedRng {
            source: Source::Seeded {
                seed,
                counter: 0,
                block: [0; 64],
                used: 64,
            },
            draws: Vec::new(),
            fault: None,
        }
    }

    /// A script: each draw must ask for exactly the length of the next named input.
    pub fn script(inputs: Vec<(&'static str, Vec<u8>)>) -> FixedRng {
        FixedRng {
            source: Source::Script(inputs.into()),
            draws: Vec::new(),
            fault: None,
        }
    }

    /// The draws so far, each as handed out.
    pub fn draws(&self) -> &[Vec<u8>] {
        &self.draws
    }

    /// For a script: an error if a draw did not fit it or inputs are left over.
    pub fn finish(&self) -> Result<(), String> {
        if let Some(fault) = &self.fault {
            return Err(fault.clone());
        }
        if let Source::Script(left) = &self.source
            && let Some((name, _)) = left.front()
        {
            return Err(format!(
                "the implementation drew fewer random inputs than published: `{name}` and {} more were not drawn",
                left.len() - 1
            ));
        }
        Ok(())
    }
}

impl RngCore for FixedRng {
    fn next_u32(&mut self) -> u32 {
        let mut bytes = [0u8; 4];
        self.fill_bytes(&mut bytes);
        u32::from_le_bytes(bytes)
    }

    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        self.fill_bytes(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        match &mut self.source {
            Source::Seeded {
                seed,
                counter,
                block,
                used,
            } => {
                for byte in dest.iter_mut() {
                    if *used == block.len() {
                        *block = Sha512::new()
                            .chain_update(*seed)
                            .chain_update(counter.to_be_bytes())
                            .finalize()
                            .into();
                        *counter += 1;
                        *used = 0;
                    }
                    *byte = block[*used];
                    *used += 1;
                }
            }
            Source::Script(inputs) => match inputs.pop_front() {
                Some((_, bytes)) if bytes.len() == dest.len() => dest.copy_from_slice(&bytes),
                Some((name, bytes)) => {
                    dest.fill(0);
                    self.fault.get_or_insert(format!(
                        "draw {} asked for {} bytes where the script has `{name}` of {}",
                        self.draws.len() + 1,
                        dest.len(),
                        bytes.len()
                    ));
                }
                None => {
                    dest.fill(0);
                    self.fault.get_or_insert(format!(
                        "draw {} of {} bytes is past the end of the script",
                        self.draws.len() + 1,
                        dest.len()
                    ));
                }
            },
        }
        self.draws.push(dest.to_vec());
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), opaque_ke::rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

// Deterministic by design: it stands in for a cryptographic source in test vectors only.
impl CryptoRng for FixedRng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seeded_stream_is_sha512_blocks_read_in_order() {
        let seed = seed_for("x");
        let mut rng = FixedRng::seeded(seed);
        let mut first = [0u8; 40];
        let mut second = [0u8; 40];
        rng.fill_bytes(&mut first);
        rng.fill_bytes(&mut second);
        let block = |n: u64| -> Vec<u8> {
            Sha512::new()
                .chain_update(seed)
                .chain_update(n.to_be_bytes())
                .finalize()
                .to_vec()
        };
        let stream = [block(0), block(1)].concat();
        assert_eq!(&first[..], &stream[..40]);
        assert_eq!(&second[..], &stream[40..80]);
        assert_eq!(rng.draws(), &[first.to_vec(), second.to_vec()]);
    }

    #[test]
    fn a_script_reports_a_draw_that_does_not_fit() {
        let mut rng = FixedRng::script(vec![("a", vec![1; 4]), ("b", vec![2; 8])]);
        let mut four = [0u8; 4];
        rng.fill_bytes(&mut four);
        assert_eq!(four, [1; 4]);
        assert!(rng.finish().unwrap_err().contains("`b`"));
        let mut seven = [0u8; 7];
        rng.fill_bytes(&mut seven);
        assert!(rng.finish().unwrap_err().contains("asked for 7 bytes"));
    }
}
