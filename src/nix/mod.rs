// SPDX-License-Identifier: GPL-3.0-or-later
//! The Nix writer and the renderers of the generated files.
