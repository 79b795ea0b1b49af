// SPDX-License-Identifier: GPL-3.0-or-later
//! How hard a passphrase or password is to guess, and what would make it
//! harder, for the meters of the encryption and users pages.
//!
//! The estimate is zxcvbn's; its advice is English text, so it is mapped to
//! our own translatable sentences here instead of being shown as it is.

use gettextrs::gettext;
use zxcvbn::feedback::{Suggestion, Warning};

use crate::i18n::{gettext_f, ngettext_f};

/// The fewest characters a passphrase may have; the plan refuses fewer.
pub const MINIMUM_PASSPHRASE_CHARS: usize = 8;

/// How hard to guess, from worst to best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Nothing typed yet.
    Empty,
    /// Fewer than [`MINIMUM_PASSPHRASE_CHARS`]: refused.
    TooShort,
    /// Found within about a million guesses: accepted only when confirmed.
    Weak,
    Fair,
    Good,
    Strong,
}

impl Level {
    /// The value of a level bar with a maximum of 4: a refused or weak
    /// passphrase fills one block, so the bar shows it as a warning.
    pub fn bar_value(self) -> f64 {
        match self {
            Level::Empty => 0.0,
            Level::TooShort | Level::Weak => 1.0,
            Level::Fair => 2.0,
            Level::Good => 3.0,
            Level::Strong => 4.0,
        }
    }
}

/// The estimate of one passphrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strength {
    pub level: Level,
    /// What the level means and, below Good, what to change: translated.
    pub description: String,
}

/// Estimates `passphrase`; `related` are words the person already typed
/// elsewhere (their name, the host name) that make it easier to guess.
pub fn assess(passphrase: &str, related: &[&str]) -> Strength {
    let chars = passphrase.chars().count();
    if chars == 0 {
        return Strength {
            level: Level::Empty,
            description: gettext("Choose a passphrase of several words"),
        };
    }
    if chars < MINIMUM_PASSPHRASE_CHARS {
        return Strength {
            level: Level::TooShort,
            description: too_short_message(),
        };
    }
    estimate(passphrase, related)
}

/// Estimates an account's `password`, which has no minimum length: only
/// the passphrase of the disk is refused for being short.
pub fn assess_password(password: &str, related: &[&str]) -> Strength {
    if password.is_empty() {
        return Strength {
            level: Level::Empty,
            description: String::new(),
        };
    }
    estimate(password, related)
}

/// zxcvbn's level of a text that is not empty, with its advice in our words.
fn estimate(text: &str, related: &[&str]) -> Strength {
    let estimate = zxcvbn::zxcvbn(text, related);
    let level = match u8::from(estimate.score()) {
        0 | 1 => Level::Weak,
        2 => Level::Fair,
        3 => Level::Good,
        _ => Level::Strong,
    };
    let summary = match level {
        Level::Weak => gettext("Weak: a computer could guess it quickly"),
        Level::Fair => gettext("Fair: it could be stronger"),
        Level::Good => gettext("Good"),
        _ => gettext("Strong"),
    };
    let feedback = estimate.feedback().filter(|_| level < Level::Good);
    let advice: Vec<String> = feedback
        .map(|feedback| {
            feedback
                .warning()
                .map(warning_text)
                .into_iter()
                .chain(feedback.suggestions().first().copied().map(suggestion_text))
                .collect()
        })
        .unwrap_or_default();
    let description = if advice.is_empty() {
        summary
    } else {
        // Translators: {summary} is a word such as “Weak”; {advice} one or two sentences.
        gettext_f(
            "{summary}. {advice}",
            &[("summary", &summary), ("advice", &advice.join(" "))],
        )
    };
    Strength { level, description }
}

/// Why a passphrase that is too short is refused, for the page and the plan.
pub fn too_short_message() -> String {
    ngettext_f(
        "Too short: use at least {n} character, better a few words",
        "Too short: use at least {n} characters, better a few words",
        u32::try_from(MINIMUM_PASSPHRASE_CHARS).unwrap_or(u32::MAX),
        &[],
    )
}

fn warning_text(warning: Warning) -> String {
    match warning {
        Warning::StraightRowsOfKeysAreEasyToGuess => {
            gettext("Rows of neighbouring keys are easy to guess.")
        }
        Warning::ShortKeyboardPatternsAreEasyToGuess => {
            gettext("Short patterns on the keyboard are easy to guess.")
        }
        Warning::RepeatsLikeAaaAreEasyToGuess => {
            gettext("Repeated characters such as “aaa” are easy to guess.")
        }
        Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => {
            gettext("Repeats such as “abcabc” are hardly harder to guess than “abc”.")
        }
        Warning::ThisIsATop10Password
        | Warning::ThisIsATop100Password
        | Warning::ThisIsACommonPassword => gettext("This is one of the most common passwords."),
        Warning::ThisIsSimilarToACommonlyUsedPassword => {
            gettext("This is close to a common password.")
        }
        Warning::SequencesLikeAbcAreEasyToGuess => {
            gettext("Sequences such as “abc” or “6543” are easy to guess.")
        }
        Warning::RecentYearsAreEasyToGuess => gettext("Recent years are easy to guess."),
        Warning::AWordByItselfIsEasyToGuess => gettext("A single word is easy to guess."),
        Warning::DatesAreOftenEasyToGuess => gettext("Dates are easy to guess."),
        Warning::NamesAndSurnamesByThemselvesAreEasyToGuess
        | Warning::CommonNamesAndSurnamesAreEasyToGuess => {
            gettext("Names, first or last, are easy to guess.")
        }
    }
}

fn suggestion_text(suggestion: Suggestion) -> String {
    match suggestion {
        Suggestion::UseAFewWordsAvoidCommonPhrases | Suggestion::AddAnotherWordOrTwo => {
            gettext("Add another word or two, not a common phrase.")
        }
        Suggestion::NoNeedForSymbolsDigitsOrUppercaseLetters => {
            gettext("Several words need no symbols, digits or capitals.")
        }
        Suggestion::CapitalizationDoesntHelpVeryMuch
        | Suggestion::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase => {
            gettext("Capital letters help little; add a word instead.")
        }
        Suggestion::ReversedWordsArentMuchHarderToGuess => {
            gettext("A word spelt backwards is hardly harder to guess.")
        }
        Suggestion::PredictableSubstitutionsDontHelpVeryMuch => {
            gettext("Swaps such as “@” for “a” help little.")
        }
        Suggestion::UseALongerKeyboardPatternWithMoreTurns => {
            gettext("Avoid patterns on the keyboard.")
        }
        Suggestion::AvoidRepeatedWordsAndCharacters => {
            gettext("Avoid repeated words and characters.")
        }
        Suggestion::AvoidSequences => gettext("Avoid sequences."),
        Suggestion::AvoidRecentYears => gettext("Avoid recent years."),
        Suggestion::AvoidYearsThatAreAssociatedWithYou
        | Suggestion::AvoidDatesAndYearsThatAreAssociatedWithYou => {
            gettext("Avoid dates and years that have to do with you.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_typed_is_empty() {
        assert_eq!(assess("", &[]).level, Level::Empty);
    }

    #[test]
    fn fewer_than_eight_characters_are_refused_with_the_minimum() {
        // Seven characters, one of them outside ASCII: characters, not bytes.
        let strength = assess("Zq9#üx!", &[]);
        assert_eq!(strength.level, Level::TooShort);
        assert!(
            strength.description.contains('8'),
            "{}",
            strength.description
        );
        assert!(assess("Zq9#üx!a", &[]).level >= Level::Weak);
    }

    #[test]
    fn common_passwords_are_weak_and_say_why() {
        let strength = assess("password1", &[]);
        assert_eq!(strength.level, Level::Weak);
        assert!(
            strength.description.contains("common password"),
            "{}",
            strength.description
        );
        assert_eq!(assess("qwertyuiop", &[]).level, Level::Weak);
    }

    #[test]
    fn the_persons_own_words_make_it_weaker() {
        let alone = assess("adalovelace1815", &[]).level;
        let related = assess("adalovelace1815", &["ada", "lovelace"]).level;
        assert!(related < alone, "{related:?} should be below {alone:?}");
    }

    #[test]
    fn several_unusual_words_are_strong_without_advice() {
        let strength = assess("violet gravel lantern mosquito", &[]);
        assert_eq!(strength.level, Level::Strong);
        assert_eq!(strength.description, "Strong");
    }

    #[test]
    fn a_short_password_is_weak_but_not_refused() {
        assert_eq!(assess_password("", &[]).level, Level::Empty);
        let short = assess_password("hunter2", &[]);
        assert_eq!(short.level, Level::Weak);
        assert!(
            short.description.starts_with("Weak"),
            "{}",
            short.description
        );
        let own = assess_password("grace1906", &["grace", "hopper"]);
        assert_eq!(own.level, Level::Weak);
        assert!(assess_password("violet gravel lantern mosquito", &[]).level >= Level::Good);
    }

    #[test]
    fn bar_values_rise_with_the_level() {
        let levels = [
            Level::Empty,
            Level::Weak,
            Level::Fair,
            Level::Good,
            Level::Strong,
        ];
        assert!(
            levels
                .windows(2)
                .all(|pair| pair[0].bar_value() < pair[1].bar_value())
        );
        assert_eq!(Level::TooShort.bar_value(), Level::Weak.bar_value());
    }

    #[test]
    fn every_warning_and_suggestion_has_our_own_sentence() {
        let warnings = [
            Warning::StraightRowsOfKeysAreEasyToGuess,
            Warning::ShortKeyboardPatternsAreEasyToGuess,
            Warning::RepeatsLikeAaaAreEasyToGuess,
            Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess,
            Warning::ThisIsATop10Password,
            Warning::ThisIsATop100Password,
            Warning::ThisIsACommonPassword,
            Warning::ThisIsSimilarToACommonlyUsedPassword,
            Warning::SequencesLikeAbcAreEasyToGuess,
            Warning::RecentYearsAreEasyToGuess,
            Warning::AWordByItselfIsEasyToGuess,
            Warning::DatesAreOftenEasyToGuess,
            Warning::NamesAndSurnamesByThemselvesAreEasyToGuess,
            Warning::CommonNamesAndSurnamesAreEasyToGuess,
        ];
        for warning in warnings {
            let text = warning_text(warning);
            assert!(text.ends_with('.'), "{text}");
        }
        let suggestions = [
            Suggestion::UseAFewWordsAvoidCommonPhrases,
            Suggestion::NoNeedForSymbolsDigitsOrUppercaseLetters,
            Suggestion::AddAnotherWordOrTwo,
            Suggestion::CapitalizationDoesntHelpVeryMuch,
            Suggestion::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase,
            Suggestion::ReversedWordsArentMuchHarderToGuess,
            Suggestion::PredictableSubstitutionsDontHelpVeryMuch,
            Suggestion::UseALongerKeyboardPatternWithMoreTurns,
            Suggestion::AvoidRepeatedWordsAndCharacters,
            Suggestion::AvoidSequences,
            Suggestion::AvoidRecentYears,
            Suggestion::AvoidYearsThatAreAssociatedWithYou,
            Suggestion::AvoidDatesAndYearsThatAreAssociatedWithYou,
        ];
        for suggestion in suggestions {
            let text = suggestion_text(suggestion);
            assert!(text.ends_with('.'), "{text}");
        }
    }
}
