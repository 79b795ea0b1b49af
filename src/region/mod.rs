// SPDX-License-Identifier: GPL-3.0-or-later
//! Keyboard layouts, locales and time zones as the system describes them,
//! and which ones the live session uses, so the wizard can offer and
//! preselect them.

pub mod keyboard;
pub mod locale;
pub mod time_zone;
