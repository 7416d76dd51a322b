//! Which language the reader reads, from the POSIX locale variables.

use unic_langid::LanguageIdentifier;

/// The languages airgapd speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English, and the fallback for every other locale.
    En,
    /// Vietnamese (`vi`, `vi_VN`, `vi_VN.UTF-8`, ...).
    Vi,
}

impl Lang {
    /// Every language, English first.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Vi];

    /// The language of messages as POSIX chooses it: the first of `LC_ALL`, `LC_MESSAGES`,
    /// `LANG` that is set and not empty.
    pub fn from_env() -> Lang {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let locale = var("LC_ALL")
            .or_else(|| var("LC_MESSAGES"))
            .or_else(|| var("LANG"));
        Lang::from_locale(locale.as_deref().unwrap_or("C"))
    }

    /// The language of a locale name: `vi`, `vi_VN.UTF-8`, `vi_VN@euro`... are Vietnamese;
    /// everything else (C, POSIX, en_US.UTF-8, de_DE) reads English.
    pub fn from_locale(locale: &str) -> Lang {
        let language = locale
            .split(['_', '.', '@', '-'])
            .next()
            .unwrap_or_default();
        if language.eq_ignore_ascii_case("vi") {
            Lang::Vi
        } else {
            Lang::En
        }
    }

    /// The catalog directory name: `en`, `vi`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Vi => "vi",
        }
    }

    /// The Unicode language identifier (plural rules come from it).
    pub fn id(self) -> LanguageIdentifier {
        self.code()
            .parse()
            .unwrap_or_else(|e| unreachable!("{} is a language id: {e}", self.code()))
    }
}
