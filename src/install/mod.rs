// SPDX-License-Identifier: GPL-3.0-or-later
//! The install engine: steps, executor, progress events, cleanup.
