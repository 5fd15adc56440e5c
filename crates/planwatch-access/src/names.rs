//! User and token names.

/// What is wrong with a user or token name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameProblem {
    #[error("{what_zh}名称不能为空 / the {what} name is empty")]
    Empty {
        what: &'static str,
        what_zh: &'static str,
    },
    #[error("{what_zh}名称最多 64 个字符 / a {what} name has at most 64 characters")]
    TooLong {
        what: &'static str,
        what_zh: &'static str,
    },
    #[error(
        "{what_zh}名称“{name}”只能含字母、数字、“.”、“_”、“-” / the {what} name \"{name}\" may contain only letters, digits, '.', '_' and '-'"
    )]
    Characters {
        what: &'static str,
        what_zh: &'static str,
        name: String,
    },
}

/// Checks a user name (`what` = `user`) or token name (`token`): 1–64 letters (any script),
/// digits, `.`, `_` or `-`. No `:`, so that `cli:…` and `token:…` in the audit log can never
/// be a user's name.
pub fn check_name(what: &'static str, name: &str) -> Result<(), NameProblem> {
    let what_zh = if what == "token" { "令牌" } else { "用户" };
    if name.is_empty() {
        return Err(NameProblem::Empty { what, what_zh });
    }
    if name.chars().count() > 64 {
        return Err(NameProblem::TooLong { what, what_zh });
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(NameProblem::Characters {
            what,
            what_zh,
            name: name.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_letters_digits_and_a_few_signs() {
        assert_eq!(check_name("user", "zhang.wei-2"), Ok(()));
        assert_eq!(check_name("user", "张伟"), Ok(()));
        for bad in ["cli:root", "a b", "x/y", ""] {
            assert!(check_name("user", bad).is_err(), "{bad}");
        }
        assert!(check_name("token", &"x".repeat(65)).is_err());
    }
}
