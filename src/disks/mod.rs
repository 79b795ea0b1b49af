// SPDX-License-Identifier: GPL-3.0-or-later
//! Disk discovery over UDisks2 and the rules that refuse disks in use.
