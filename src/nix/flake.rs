// SPDX-License-Identifier: GPL-3.0-or-later
//! `flake.nix` (optional): the same configuration as a flake, with nixpkgs
//! and impermanence as inputs. `flake.lock` is left to Nix.

use super::writer::{Attrs, File, Value, attribute_name};
use super::{IMPERMANENCE_REVISION, header, vendored};
use crate::plan::Plan;

pub fn render(plan: &Plan) -> String {
    let system = &plan.system;
    let mut body = Attrs::new();
    body.set(
        ["description"],
        format!("NixOS on {}, installed by Keepsake", system.hostname),
    )
    .blank_line()
    .set(
        ["inputs", "nixpkgs", "url"],
        format!("github:NixOS/nixpkgs/nixos-{}", system.state_version),
    )
    .set(
        ["inputs", "impermanence", "url"],
        format!("github:nix-community/impermanence/{IMPERMANENCE_REVISION}"),
    )
    .blank_line()
    .set(["outputs"], Value::Raw(outputs(plan)));
    File {
        arguments: Vec::new(),
        header: header(
            "The configuration as a flake: `nixos-rebuild switch --flake /etc/nixos`.\n\
             It uses the files beside it; only the impermanence module comes from\n\
             the flake's input instead of the copy in ./impermanence.",
            "You may edit this file freely; Nix writes flake.lock at the first build.",
        ),
        bindings: Vec::new(),
        body,
    }
    .print()
}

fn outputs(plan: &Plan) -> String {
    let host = attribute_name(&plan.system.hostname);
    let vendored = format!("./{}/nixos.nix", vendored::DIRECTORY);
    [
        "{ nixpkgs, impermanence, ... }:".to_owned(),
        "  {".to_owned(),
        format!("    nixosConfigurations.{host} = nixpkgs.lib.nixosSystem {{"),
        "      modules = [".to_owned(),
        "        ./configuration.nix".to_owned(),
        "        # The input replaces the copy persistence.nix imports, not both.".to_owned(),
        format!("        {{ disabledModules = [ {vendored} ]; }}"),
        "        impermanence.nixosModules.impermanence".to_owned(),
        "      ];".to_owned(),
        "    };".to_owned(),
        "  }".to_owned(),
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nix::writer::string_literal;

    #[test]
    fn the_host_and_the_release_come_from_the_plan() {
        let mut plan = Plan::example();
        plan.system.hostname = "my-laptop".to_owned();
        let text = render(&plan);
        assert!(text.contains("nixosConfigurations.my-laptop = "), "{text}");
        assert!(text.contains(&string_literal("github:NixOS/nixpkgs/nixos-25.11")));
        assert!(text.contains(IMPERMANENCE_REVISION));
    }
}
