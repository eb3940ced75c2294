//! Tunables of the [`Directory`](crate::Directory): how long sessions live,
//! when repeated failures lock an account or an address out, how long a
//! break-the-glass grant lasts, and how costly password hashing is.
//!
//! The defaults follow the issue-3 design: 15 min idle and 12 h absolute
//! session lifetimes, 5 failures then 15 min of lock-out, 30 login attempts a
//! minute per address, 4 h grants, and OWASP's Argon2id parameters.

use std::time::Duration;

/// Tunables of the directory. See the module documentation for the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthOptions {
    /// A session unused for this long ends.
    pub session_idle: Duration,
    /// A session ends this long after its login, used or not.
    pub session_absolute: Duration,
    /// Consecutive failures (password, PIN, current password) that lock an
    /// account.
    pub lockout_after: u32,
    /// How long a locked account stays locked.
    pub lockout_for: Duration,
    /// Login attempts allowed from one address in any sliding minute.
    pub address_attempts_per_minute: u32,
    /// How long a break-the-glass grant lasts.
    pub break_glass_for: Duration,
    /// Cost of the password and PIN hashes written from now on (existing
    /// hashes keep the parameters they were made with).
    pub argon: ArgonParams,
}

impl Default for AuthOptions {
    fn default() -> AuthOptions {
        AuthOptions {
            session_idle: Duration::from_secs(15 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            lockout_after: 5,
            lockout_for: Duration::from_secs(15 * 60),
            address_attempts_per_minute: 30,
            break_glass_for: Duration::from_secs(4 * 3600),
            argon: ArgonParams::default(),
        }
    }
}

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgonParams {
    /// Memory, in KiB.
    pub m_kib: u32,
    /// Passes over the memory.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Default for ArgonParams {
    /// OWASP's first recommended Argon2id setting: 19 MiB, 2 passes, 1 lane.
    fn default() -> ArgonParams {
        ArgonParams {
            m_kib: 19_456,
            t: 2,
            p: 1,
        }
    }
}

impl ArgonParams {
    /// The cheapest parameters Argon2 accepts, so that tests run fast. Never
    /// use them on a node.
    pub fn fast_for_tests() -> ArgonParams {
        ArgonParams {
            m_kib: 8,
            t: 1,
            p: 1,
        }
    }
}

/// A duration in whole milliseconds, saturating.
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let options = AuthOptions::default();
        assert_eq!(millis(options.session_idle), 900_000);
        assert_eq!(millis(options.session_absolute), 43_200_000);
        assert_eq!(options.lockout_after, 5);
        assert_eq!(options.address_attempts_per_minute, 30);
        assert_eq!(millis(options.break_glass_for), 14_400_000);
        assert_eq!(options.argon.m_kib, argon2::Params::DEFAULT_M_COST);
        assert_eq!(options.argon.t, argon2::Params::DEFAULT_T_COST);
        assert_eq!(options.argon.p, argon2::Params::DEFAULT_P_COST);
    }

    #[test]
    fn millis_saturates() {
        assert_eq!(millis(Duration::MAX), i64::MAX);
    }
}
