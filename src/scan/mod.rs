// SPDX-License-Identifier: GPL-3.0-or-later
//! What on a running system is not persisted and is lost at reboot.
