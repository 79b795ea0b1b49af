// SPDX-License-Identifier: GPL-3.0-or-later
//! The data model of an installation and its validation.
