// SPDX-License-Identifier: GPL-3.0-or-later
//! The recovery key: a second way to unlock the encrypted disk, in its own
//! LUKS key slot, for the day the passphrase is forgotten.
//!
//! It is typed at the boot prompt, where the keyboard layout may not be the
//! one the person is used to (the initrd starts with the US layout unless
//! told otherwise). So it uses only the sixteen letters of Yubico's
//! “modhex”, which are on the same keys on QWERTY, QWERTZ and AZERTY
//! keyboards, and spaces between its groups: no digits (shifted on AZERTY),
//! no dashes (on a different key on every layout), no letter that looks
//! like another one in lower case. systemd-cryptenroll chose the same
//! alphabet for its recovery keys for the same reason.

use std::fmt;
use std::io;

use zeroize::Zeroizing;

use super::Secret;

/// The letters of a key, by the value of the four bits each one carries.
pub const ALPHABET: &[u8; 16] = b"cbdefghijklnrtuv";
/// How many groups a key has, separated by [`SEPARATOR`].
pub const GROUPS: usize = 8;
/// Letters in a group.
pub const GROUP_LENGTH: usize = 5;
pub const SEPARATOR: char = ' ';
/// Four bits a letter, all from the operating system's random generator.
pub const ENTROPY_BITS: usize = GROUPS * GROUP_LENGTH * 4;
/// What the key is as text: the groups and the separators between them.
pub const LENGTH: usize = GROUPS * GROUP_LENGTH + GROUPS - 1;

const RANDOM_BYTES: usize = ENTROPY_BITS / 8;

/// A generated recovery key, wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryKey(Secret);

impl RecoveryKey {
    /// A new key from the kernel's random generator (getrandom(2), which
    /// waits until the generator is seeded).
    pub fn generate() -> io::Result<Self> {
        let mut random = Zeroizing::new([0u8; RANDOM_BYTES]);
        let mut filled = 0;
        while filled < RANDOM_BYTES {
            match rustix::rand::getrandom(
                &mut random[filled..],
                rustix::rand::GetRandomFlags::empty(),
            ) {
                Ok(read) => filled += read,
                Err(rustix::io::Errno::INTR) => {}
                Err(errno) => return Err(errno.into()),
            }
        }
        Ok(Self::from_random(&random))
    }

    /// The key that `random` spells, half a byte a letter.
    fn from_random(random: &[u8; RANDOM_BYTES]) -> Self {
        // Reserved once, so no reallocation leaves a copy behind.
        let mut text = Zeroizing::new(String::with_capacity(LENGTH));
        let letters = random
            .iter()
            .flat_map(|byte| [byte >> 4, byte & 0x0f])
            .map(|nibble| char::from(ALPHABET[usize::from(nibble)]));
        for (index, letter) in letters.enumerate() {
            if index > 0 && index % GROUP_LENGTH == 0 {
                text.push(SEPARATOR);
            }
            text.push(letter);
        }
        Self(Secret::new(std::mem::take(&mut *text)))
    }

    /// The key as it is shown and typed.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The key as the plan carries it to the helper.
    pub fn secret(&self) -> &Secret {
        &self.0
    }

    /// Whether `text` has the form of a generated key: [`GROUPS`] groups
    /// of [`GROUP_LENGTH`] letters of the [`ALPHABET`], one space apart.
    pub fn is_well_formed(text: &str) -> bool {
        let groups: Vec<&str> = text.split(SEPARATOR).collect();
        groups.len() == GROUPS
            && groups.iter().all(|group| {
                group.len() == GROUP_LENGTH && group.bytes().all(|b| ALPHABET.contains(&b))
            })
    }
}

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn a_key_is_eight_groups_of_five_letters_carrying_at_least_128_bits() {
        let key = RecoveryKey::generate().unwrap();
        assert!(
            RecoveryKey::is_well_formed(key.expose()),
            "{}",
            key.expose()
        );
        assert_eq!(key.expose().len(), LENGTH);
        assert_eq!(key.expose().split(' ').count(), 8);
        // Every letter carries log2(16) = 4 bits, and there are 40 of them.
        assert_eq!(ALPHABET.len(), 16);
        assert_eq!(
            ALPHABET.iter().collect::<HashSet<_>>().len(),
            16,
            "no letter twice"
        );
        assert_eq!(ENTROPY_BITS, 160);
        const { assert!(ENTROPY_BITS >= 128) };
    }

    #[test]
    fn the_alphabet_avoids_keys_that_move_between_layouts_and_look_alikes() {
        // a/q and z/w swap on AZERTY, y/z on QWERTZ, m moves on AZERTY;
        // o and 0, digits and dashes are not there at all.
        for moved in b"aqwzymo0123456789-" {
            assert!(!ALPHABET.contains(moved), "{}", char::from(*moved));
        }
    }

    #[test]
    fn every_half_byte_maps_to_its_own_letter() {
        let mut random = [0u8; RANDOM_BYTES];
        random[0] = 0x01;
        random[1] = 0x23;
        random[2] = 0x45;
        random[RANDOM_BYTES - 1] = 0xef;
        let key = RecoveryKey::from_random(&random);
        assert!(
            key.expose().starts_with("cbdef gcccc ccccc"),
            "{}",
            key.expose()
        );
        assert!(key.expose().ends_with(" cccuv"), "{}", key.expose());
        let all = RecoveryKey::from_random(&[0xff; RANDOM_BYTES]);
        assert_eq!(all.expose(), ["vvvvv"; 8].join(" "));
    }

    #[test]
    fn keys_differ_and_use_every_letter() {
        let keys: Vec<RecoveryKey> = (0..64).map(|_| RecoveryKey::generate().unwrap()).collect();
        let distinct: HashSet<&str> = keys.iter().map(RecoveryKey::expose).collect();
        assert_eq!(distinct.len(), keys.len());
        // 2560 letters: a missing one would mean a broken mapping, not bad
        // luck (each is missing with a chance of (15/16)^2560).
        let letters: HashSet<u8> = keys
            .iter()
            .flat_map(|key| key.expose().bytes())
            .filter(|b| *b != b' ')
            .collect();
        assert_eq!(letters.len(), 16);
    }

    #[test]
    fn malformed_keys_are_told_apart() {
        let good = ["cbdef"; 8].join(" ");
        assert!(RecoveryKey::is_well_formed(&good));
        assert!(!RecoveryKey::is_well_formed(&good.replace(' ', "-")));
        assert!(!RecoveryKey::is_well_formed(&good[..good.len() - 1]));
        assert!(!RecoveryKey::is_well_formed(&good.replacen('c', "a", 1)));
        assert!(!RecoveryKey::is_well_formed(&format!("{good} cbdef")));
        assert!(!RecoveryKey::is_well_formed(""));
    }

    #[test]
    fn debug_output_hides_the_key() {
        let key = RecoveryKey::generate().unwrap();
        assert!(!format!("{key:?}").contains(key.expose()));
    }
}
